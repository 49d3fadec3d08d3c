package systool

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	err := Check("sh", "modkit-no-such-rpmbuild", "modkit-no-such-rpmbuild")
	var me *MissingError
	if !errors.As(err, &me) || !errors.Is(err, ErrMissing) {
		t.Fatalf("Check = %v, want a *MissingError wrapping ErrMissing", err)
	}
	want := &MissingError{Programs: []string{"modkit-no-such-rpmbuild"}, Debian: []string{"modkit-no-such-rpmbuild"}, Fedora: []string{"modkit-no-such-rpmbuild"}}
	if diff := cmp.Diff(want, me); diff != "" {
		t.Errorf("MissingError (-want +got):\n%s", diff)
	}
	if err := Check("sh"); err != nil {
		t.Errorf("Check(sh) = %v, want nil", err)
	}
}

func TestMissingErrorMessage(t *testing.T) {
	t.Parallel()
	e := &MissingError{Programs: []string{"rpmbuild", "createrepo_c"}, Debian: []string{"rpm", "createrepo-c"}, Fedora: []string{"rpm-build", "createrepo_c"}}
	want := "rpmbuild, createrepo_c not installed: install their packages (Debian/Ubuntu: apt-get install rpm createrepo-c; Fedora/RHEL: dnf install rpm-build createrepo_c)"
	if got := e.Error(); got != want {
		t.Errorf("Error() = %q\nwant      %q", got, want)
	}
}
