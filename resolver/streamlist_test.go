package resolver

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestExpandStreamList(t *testing.T) {
	t.Parallel()
	avail := []string{"10", "12", "14"}
	tests := []struct {
		name string
		list []string
		want []string
	}{
		{"empty means every stream", nil, []string{"10", "12", "14"}},
		{"negatives only subtract", []string{"-12"}, []string{"10", "14"}},
		{"all negated", []string{"-10", "-12", "-14"}, nil},
		{"positives only", []string{"14", "12"}, []string{"12", "14"}},
		{"positive wins over negatives", []string{"12", "-12", "-10"}, []string{"12"}},
		{"positive not available is kept", []string{"16"}, []string{"16"}},
		{"duplicates removed", []string{"12", "12"}, []string{"12"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tt.want, ExpandStreamList(tt.list, avail)); diff != "" {
				t.Errorf("ExpandStreamList(%q) (-want +got):\n%s", tt.list, diff)
			}
		})
	}
}

func TestAdmits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		list   []string
		stream string
		want   bool
	}{
		{nil, "12", true},
		{[]string{"-12"}, "12", false},
		{[]string{"-12"}, "10", true},
		{[]string{"10"}, "12", false},
		{[]string{"10", "-12"}, "12", false},
		{[]string{"12", "-12"}, "12", true},
	}
	for _, tt := range tests {
		if got := admits(tt.list, tt.stream); got != tt.want {
			t.Errorf("admits(%q, %q) = %v, want %v", tt.list, tt.stream, got, tt.want)
		}
	}
}
