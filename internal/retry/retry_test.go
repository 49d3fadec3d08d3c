package retry

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var (
	errTransient = errors.New("transient")
	errPermanent = errors.New("permanent")
)

func TestDo(t *testing.T) {
	t.Parallel()
	fast := Policy{MaxAttempts: 4, InitialDelay: time.Microsecond, Multiplier: 2}
	tests := []struct {
		name      string
		policy    Policy
		errs      []error // error returned by attempt i; nil past the end
		wantN     int
		wantErr   error
		retriable func(error) bool
	}{
		{name: "first attempt succeeds", policy: fast, errs: nil, wantN: 1},
		{name: "succeeds on third", policy: fast, errs: []error{errTransient, errTransient}, wantN: 3},
		{name: "permanent stops", policy: fast, errs: []error{errTransient, errPermanent, errTransient}, wantN: 2, wantErr: errPermanent},
		{name: "runs out, last error", policy: fast, errs: []error{errTransient, errTransient, errTransient, errPermanent, nil}, wantN: 4, wantErr: errPermanent,
			retriable: func(error) bool { return true }},
		{name: "zero policy is one attempt", policy: Policy{}, errs: []error{errTransient}, wantN: 1, wantErr: errTransient},
		{name: "nil retriable retries all", policy: fast, errs: []error{errPermanent, errPermanent}, wantN: 3, retriable: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			retriable := tt.retriable
			if retriable == nil && tt.name != "nil retriable retries all" {
				retriable = func(err error) bool { return errors.Is(err, errTransient) }
			}
			n := 0
			err := Do(t.Context(), tt.policy, retriable, func(_ context.Context, attempt int) error {
				n++
				if attempt != n {
					t.Errorf("attempt = %d, want %d", attempt, n)
				}
				if attempt-1 < len(tt.errs) {
					return tt.errs[attempt-1]
				}
				return nil
			})
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Errorf("Do() error = %v, want %v", err, tt.wantErr)
			}
			if n != tt.wantN {
				t.Errorf("attempts = %d, want %d", n, tt.wantN)
			}
		})
	}
}

func TestDoContextCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	n := 0
	err := Do(ctx, Policy{MaxAttempts: 100, InitialDelay: time.Hour}, nil, func(context.Context, int) error {
		n++
		cancel()
		return errTransient
	})
	if !errors.Is(err, context.Canceled) || !errors.Is(err, errTransient) {
		t.Errorf("Do() = %v, want context.Canceled joined with last error", err)
	}
	if n != 1 {
		t.Errorf("attempts = %d, want 1", n)
	}
}

func TestDoAlreadyCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := Do(ctx, DefaultPolicy, nil, func(context.Context, int) error {
		t.Error("fn called with a cancelled context")
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Do() = %v, want context.Canceled", err)
	}
}

func TestDelay(t *testing.T) {
	t.Parallel()
	p := Policy{InitialDelay: time.Second, MaxDelay: 5 * time.Second, Multiplier: 2}
	var got []time.Duration
	for i := 0; i <= 5; i++ {
		got = append(got, p.Delay(i))
	}
	want := []time.Duration{0, time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Delay() mismatch (-want +got):\n%s", diff)
	}
	if d := (Policy{InitialDelay: time.Second}).Delay(3); d != time.Second {
		t.Errorf("Delay with multiplier 0 = %v, want 1s", d)
	}
}

func TestSleepCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep() = %v, want context.Canceled", err)
	}
	if err := Sleep(t.Context(), 0); err != nil {
		t.Errorf("Sleep(0) = %v", err)
	}
}
