package kojibuild

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/modkit/modkit/koji"
	"github.com/modkit/modkit/orchestrator"
)

// multi is a koji multicall whose calls are recorded in the module build's
// log when it runs.
type multi struct {
	b     *Builder
	mb    *orchestrator.ModuleBuild
	m     *koji.Multicall
	calls []string
}

func (b *Builder) multi(mb *orchestrator.ModuleBuild) *multi {
	return &multi{b: b, mb: mb, m: b.c.NewMulticall()}
}

// call queues method; args may end with koji.Kwargs.
func (x *multi) call(method string, args ...any) *koji.Future[any] {
	x.calls = append(x.calls, describe(method, args))
	return x.m.Call(method, args...)
}

func (x *multi) len() int { return x.m.Len() }

// do runs the queued calls (nothing when there are none).
func (x *multi) do(ctx context.Context) error {
	if x.m.Len() == 0 {
		return nil
	}
	t := time.Now()
	err := x.m.Do(ctx, nil)
	what := "multicall " + strings.Join(x.calls, ", ")
	if len(x.calls) == 1 {
		what = x.calls[0]
	}
	if len(what) > 2000 {
		what = fmt.Sprintf("multicall of %d calls: %s ...", len(x.calls), what[:2000])
	}
	x.b.logCall(ctx, x.mb, 0, t, err, "%s", what)
	x.calls = nil
	return err
}

// describe formats a call for the log: method(arg, ...), keyword
// arguments as key=value.
func describe(method string, args []any) string {
	var parts []string
	for _, a := range args {
		if k, ok := a.(koji.Kwargs); ok {
			for key, v := range k {
				parts = append(parts, key+"="+short(v))
			}
			continue
		}
		parts = append(parts, short(a))
	}
	return method + "(" + strings.Join(parts, ", ") + ")"
}

func short(v any) string {
	var s string
	switch v := v.(type) {
	case string:
		s = fmt.Sprintf("%q", v)
	case koji.Ref:
		s = v.String()
	default:
		s = fmt.Sprintf("%v", v)
	}
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return s
}

// result decodes one future into out.
func result(f *koji.Future[any], out any) error {
	v, err := f.Result()
	if err != nil {
		return err
	}
	if out == nil || v == nil {
		return nil
	}
	return koji.DecodeValue(v, out)
}
