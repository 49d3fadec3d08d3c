package mbsapi

import (
	"bufio"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
)

// User is an authenticated caller.
type User struct {
	Name   string
	Groups []string
}

// InGroup reports whether u belongs to any of groups.
func (u *User) InGroup(groups []string) bool {
	for _, g := range u.Groups {
		if slices.Contains(groups, g) {
			return true
		}
	}
	return false
}

// Authenticator identifies the caller of a request. It returns (nil, nil)
// when the request carries no credentials, and an error when it carries
// invalid ones.
type Authenticator interface {
	Authenticate(r *http.Request) (*User, error)
}

// AuthMethodNamer is implemented by an [Authenticator] that names its
// method for the about/ endpoint's auth_method (MBS says "oidc" or
// "kerberos"; clients choose how to authenticate from it).
type AuthMethodNamer interface {
	AuthMethod() string
}

// ErrBadCredentials is returned by an Authenticator for a token it does not
// know.
var ErrBadCredentials = errors.New("invalid or unknown token")

// Tokens maps bearer tokens to users: an [Authenticator].
type Tokens map[string]User

// ParseTokens reads "TOKEN USER GROUP[,GROUP...]" lines; blank lines and
// lines starting with # are skipped. name is used in errors.
func ParseTokens(r io.Reader, name string) (Tokens, error) {
	t := Tokens{}
	sc := bufio.NewScanner(r)
	var errs []error
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 3 {
			errs = append(errs, fmt.Errorf("%s:%d: expected TOKEN USER GROUP[,GROUP...], got %d fields", name, n, len(f)))
			continue
		}
		if _, dup := t[f[0]]; dup {
			errs = append(errs, fmt.Errorf("%s:%d: token of user %s is listed twice", name, n, f[1]))
			continue
		}
		var groups []string
		for _, g := range strings.Split(f[2], ",") {
			if g != "" {
				groups = append(groups, g)
			}
		}
		t[f[0]] = User{Name: f[1], Groups: groups}
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", name, err))
	}
	return t, errors.Join(errs...)
}

// LoadTokens reads a token file (see [ParseTokens]).
func LoadTokens(path string) (Tokens, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParseTokens(f, path)
}

// AuthMethod implements [AuthMethodNamer]: "tokens" (bearer tokens from a
// token file).
func (t Tokens) AuthMethod() string { return "tokens" }

// Authenticate implements [Authenticator] with "Authorization: Bearer
// TOKEN".
func (t Tokens) Authenticate(r *http.Request) (*User, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return nil, nil
	}
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return nil, fmt.Errorf("%w: expected \"Authorization: Bearer TOKEN\"", ErrBadCredentials)
	}
	tok = strings.TrimSpace(tok)
	// Compare every token in constant time so timing reveals nothing.
	var found *User
	for k, u := range t {
		if subtle.ConstantTimeCompare([]byte(k), []byte(tok)) == 1 {
			found = &u
		}
	}
	if found == nil {
		return nil, ErrBadCredentials
	}
	return found, nil
}
