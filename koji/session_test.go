package koji_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net/http"
	"testing"
	"time"

	"github.com/modkit/modkit/koji"
	"github.com/modkit/modkit/koji/kojitest"
)

func clientCert(t *testing.T, cn string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	check(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	check(t, err)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func TestCertificateLogin(t *testing.T) {
	t.Parallel()
	hub := kojitest.New(t, kojitest.WithTLS())
	tr := hub.Client().Transport.(*http.Transport).Clone()
	tr.TLSClientConfig.Certificates = []tls.Certificate{clientCert(t, "certuser")}
	c, err := koji.NewClient(hub.URL(), koji.WithHTTPClient(&http.Client{Transport: tr, Timeout: time.Minute}),
		koji.WithAuth(koji.CertificateAuth{}), koji.WithRetry(fastRetry))
	check(t, err)
	ctx := t.Context()
	check(t, c.Login(ctx))
	u := must[*koji.User](t)(c.GetLoggedInUser(ctx))
	if u.Name != "certuser" {
		t.Errorf("user = %+v, want certuser (created on first login)", u)
	}
	first := c.Session()
	hub.ExpireSessions()
	must[*koji.User](t)(c.GetLoggedInUser(ctx))
	if s := c.Session(); s.ID != first.ID || s.Key == first.Key {
		t.Errorf("renewal %+v -> %+v", first, s)
	}
	// Without a certificate the login fails.
	nocert := newClient(t, hub, koji.CertificateAuth{})
	if err := nocert.Login(ctx); err == nil {
		t.Error("login without a certificate succeeded")
	}
}
