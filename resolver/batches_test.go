package resolver

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/modkit/modkit/modulemd"
)

func rpms(spec map[string]*modulemd.RPMComponent) *modulemd.Stream {
	return &modulemd.Stream{Name: "m", Stream: "s", Components: modulemd.Components{RPMs: spec}}
}

func TestBatches(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		rpms    map[string]*modulemd.RPMComponent
		want    [][]string
		wantErr error
		errText string
	}{
		{name: "no components"},
		{
			name: "buildorder groups ascending, unset is 0, negative first",
			rpms: map[string]*modulemd.RPMComponent{
				"c": {BuildOrder: 10}, "a": {}, "b": {}, "z": {BuildOrder: -5}, "d": {BuildOrder: 10},
			},
			want: [][]string{{"z"}, {"a", "b"}, {"c", "d"}},
		},
		{
			name: "buildafter layers a DAG",
			rpms: map[string]*modulemd.RPMComponent{
				"lib": {}, "tool": {}, "app": {BuildAfter: []string{"lib", "tool"}},
				"plugin": {BuildAfter: []string{"app"}}, "docs": {BuildAfter: []string{"lib"}},
			},
			want: [][]string{{"lib", "tool"}, {"app", "docs"}, {"plugin"}},
		},
		{
			name:    "buildafter unknown names are all reported",
			rpms:    map[string]*modulemd.RPMComponent{"a": {BuildAfter: []string{"nope"}}, "b": {BuildAfter: []string{"gone"}}},
			wantErr: ErrBuildOrder,
			errText: "a: buildafter names unknown component \"nope\"\n" + `invalid component build order: b: buildafter names unknown component "gone"`,
		},
		{
			name:    "mixing is refused",
			rpms:    map[string]*modulemd.RPMComponent{"a": {BuildOrder: 1}, "b": {BuildAfter: []string{"a"}}},
			wantErr: ErrBuildOrder,
		},
		{
			name: "cycles name every member",
			rpms: map[string]*modulemd.RPMComponent{
				"a": {BuildAfter: []string{"b"}}, "b": {BuildAfter: []string{"c"}}, "c": {BuildAfter: []string{"a"}},
				"d": {BuildAfter: []string{"d"}}, "e": {},
			},
			wantErr: ErrCycle,
			errText: "buildafter: 2 cycle(s): [a, b, c]; [d]",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Batches(rpms(tt.rpms))
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if tt.errText != "" && err.Error() != tt.errText && err.Error() != "invalid component build order: "+tt.errText {
				t.Errorf("error text:\n%s\nwant:\n%s", err, tt.errText)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("batches (-want +got):\n%s", diff)
			}
		})
	}
}
