package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/modkit/modkit/koji"
	"github.com/modkit/modkit/koji/kerberos"
	"github.com/modkit/modkit/modulemd"
	"github.com/modkit/modkit/orchestrator/kojibuild"
	"github.com/modkit/modkit/resolver"
)

// kojiHelp documents the koji builder's settings for serve and build.
const kojiHelp = `
With --builder koji the components are built in a koji build system, as
MBS does (package orchestrator/kojibuild). Its settings come from a
koji-style configuration file (--koji-config FILE, section --koji-profile,
default "koji"; the keys below) and from --koji-* flags, which override the
file:

  server          --koji-hub URL         the hub (required)
  weburl          --koji-web URL         web UI, for task links
  topurl          --koji-topurl URL      file server, for links to logs
  authtype        --koji-auth TYPE       password, ssl or kerberos
  user            --koji-user NAME       password login (test hubs)
  password_file   --koji-password-file   file holding the password
  cert            --koji-cert FILE       TLS client certificate (PEM, may hold the key)
  key             --koji-key FILE        its key, if separate
  serverca        --koji-ca FILE         CA bundle for the hub
  principal       --koji-principal P     Kerberos principal (name@REALM)
  keytab          --koji-keytab FILE     its keytab
  krb5_conf       --krb5-conf FILE       default /etc/krb5.conf
  arches          --koji-arches LIST     tag arches (default x86_64)
  candidate_tag   --koji-candidate-tag T where module builds are tagged; "{}" is
                                         the platform stream (default
                                         {}-modular-updates-candidate; "none" = no tagging)
  platform_tag    --koji-platform-tag T  koji tag of the built-in platform; "{}" is
                                         its stream (default module-{}-build)
  tag_permission  --koji-perm PERM       permission required on module tags
  buildroot       --koji-buildroot LIST  packages of the build group
  srpm_buildroot  --koji-srpm-buildroot LIST  packages of the srpm-build group

Concurrency is --jobs.`

// kojiFlags are the --koji-* flags.
type kojiFlags struct {
	fs       *flag.FlagSet
	config   *string
	profile  *string
	byKey    map[string]*string
	flagName map[string]string
}

var kojiKeys = []struct{ key, flag, usage string }{
	{"server", "koji-hub", "koji hub `URL`"},
	{"weburl", "koji-web", "koji web UI `URL` (for task links)"},
	{"topurl", "koji-topurl", "koji file server `URL`"},
	{"authtype", "koji-auth", "koji login `TYPE`: password, ssl or kerberos"},
	{"user", "koji-user", "koji user `NAME` (password login)"},
	{"password_file", "koji-password-file", "`FILE` holding the koji password"},
	{"cert", "koji-cert", "TLS client certificate `FILE` (PEM)"},
	{"key", "koji-key", "TLS client key `FILE`, if not in the certificate file"},
	{"serverca", "koji-ca", "CA bundle `FILE` for the hub"},
	{"principal", "koji-principal", "Kerberos `PRINCIPAL`"},
	{"keytab", "koji-keytab", "Kerberos keytab `FILE`"},
	{"krb5_conf", "krb5-conf", "krb5.conf `FILE` (default /etc/krb5.conf)"},
	{"arches", "koji-arches", "tag `ARCHES`, space or comma separated (default x86_64)"},
	{"candidate_tag", "koji-candidate-tag", "`TAG` for module builds, {} = platform stream (default {}-modular-updates-candidate)"},
	{"platform_tag", "koji-platform-tag", "koji `TAG` of the platform module, {} = stream (default module-{}-build)"},
	{"tag_permission", "koji-perm", "`PERMISSION` required on module tags"},
	{"buildroot", "koji-buildroot", "`PACKAGES` of the build group (the platform's buildroot profile)"},
	{"srpm_buildroot", "koji-srpm-buildroot", "`PACKAGES` of the srpm-build group (the platform's srpm-buildroot profile)"},
}

func addKojiFlags(fs *flag.FlagSet) *kojiFlags {
	k := &kojiFlags{fs: fs, byKey: map[string]*string{}, flagName: map[string]string{}}
	k.config = fs.String("koji-config", "", "koji configuration `FILE` (--builder koji)")
	k.profile = fs.String("koji-profile", "koji", "`SECTION` of the koji configuration file")
	for _, kk := range kojiKeys {
		k.byKey[kk.key] = fs.String(kk.flag, "", kk.usage)
		k.flagName[kk.key] = kk.flag
	}
	return k
}

// kojiSettings are the merged settings.
type kojiSettings map[string]string

// settings reads the configuration file, then applies the flags given.
func (k *kojiFlags) settings() (kojiSettings, error) {
	s := kojiSettings{}
	if *k.config != "" {
		var err error
		if s, err = readKojiConfig(*k.config, *k.profile); err != nil {
			return nil, err
		}
	}
	set := map[string]bool{}
	k.fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for key, v := range k.byKey {
		if set[k.flagName[key]] {
			s[key] = *v
		}
	}
	if s["server"] == "" {
		return nil, fmt.Errorf("koji needs the hub: --koji-hub URL or server in --koji-config")
	}
	return s, nil
}

// readKojiConfig reads section of a koji-style INI file.
func readKojiConfig(path, section string) (kojiSettings, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	s := kojiSettings{}
	cur, found := "", false
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
		case line[0] == '[':
			if !strings.HasSuffix(line, "]") {
				return nil, fmt.Errorf("%s:%d: section header %q lacks ]", path, n, line)
			}
			cur = strings.TrimSpace(line[1 : len(line)-1])
			found = found || cur == section
		default:
			key, v, ok := strings.Cut(line, "=")
			if !ok {
				return nil, fmt.Errorf("%s:%d: want key = value, got %q", path, n, line)
			}
			if cur != section {
				continue
			}
			key = strings.TrimSpace(key)
			if _, known := kojiKeyFlag(key); !known && key != "password" {
				return nil, fmt.Errorf("%s:%d: unknown key %q in [%s]", path, n, key, section)
			}
			s[key] = strings.TrimSpace(v)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("%s: no [%s] section", path, section)
	}
	return s, nil
}

func kojiKeyFlag(key string) (string, bool) {
	for _, kk := range kojiKeys {
		if kk.key == key {
			return kk.flag, true
		}
	}
	return "", false
}

func expandHome(p string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if h, err := os.UserHomeDir(); err == nil {
			return filepath.Join(h, rest)
		}
	}
	return p
}

func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
}

// client builds the koji client with the configured authentication.
func (s kojiSettings) client() (*koji.Client, error) {
	opts := []koji.Option{koji.WithUserAgent("modkit")}
	auth := s["authtype"]
	if auth == "" {
		switch {
		case s["cert"] != "":
			auth = "ssl"
		case s["principal"] != "":
			auth = "kerberos"
		default:
			auth = "password"
		}
	}
	tlsConf := &tls.Config{MinVersion: tls.VersionTLS12}
	if ca := s["serverca"]; ca != "" {
		pem, err := os.ReadFile(expandHome(ca))
		if err != nil {
			return nil, fmt.Errorf("koji CA: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("koji CA %s: no PEM certificates", ca)
		}
		tlsConf.RootCAs = pool
	}
	switch auth {
	case "password":
		pw := s["password"]
		if pf := s["password_file"]; pf != "" {
			b, err := os.ReadFile(expandHome(pf))
			if err != nil {
				return nil, fmt.Errorf("koji password: %w", err)
			}
			pw = strings.TrimRight(string(b), "\r\n")
		}
		if s["user"] == "" {
			return nil, fmt.Errorf("koji password login needs a user (--koji-user)")
		}
		opts = append(opts, koji.WithAuth(koji.PasswordAuth{User: s["user"], Password: pw}))
	case "ssl":
		cert := expandHome(s["cert"])
		key := cert
		if s["key"] != "" {
			key = expandHome(s["key"])
		}
		if cert == "" {
			return nil, fmt.Errorf("koji ssl login needs --koji-cert")
		}
		pair, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			return nil, fmt.Errorf("koji client certificate: %w", err)
		}
		tlsConf.Certificates = []tls.Certificate{pair}
		opts = append(opts, koji.WithAuth(koji.CertificateAuth{}))
	case "kerberos":
		conf := s["krb5_conf"]
		if conf == "" {
			conf = "/etc/krb5.conf"
		}
		if s["principal"] == "" || s["keytab"] == "" {
			return nil, fmt.Errorf("koji kerberos login needs --koji-principal and --koji-keytab")
		}
		a, err := kerberos.NewKeytabAuth(s["principal"], expandHome(s["keytab"]), conf)
		if err != nil {
			return nil, err
		}
		opts = append(opts, koji.WithAuth(a))
	default:
		return nil, fmt.Errorf("koji authtype must be password, ssl or kerberos, not %q", auth)
	}
	opts = append(opts, koji.WithHTTPClient(&http.Client{Timeout: 10 * time.Minute,
		Transport: &http.Transport{TLSClientConfig: tlsConf, Proxy: http.ProxyFromEnvironment}}))
	return koji.NewClient(s["server"], opts...)
}

// builder returns the koji builder.
func (s kojiSettings) builder(ctx context.Context, src resolver.Source, stateDir string, logger *slog.Logger) (*kojibuild.Builder, error) {
	c, err := s.client()
	if err != nil {
		return nil, err
	}
	if err := c.Login(ctx); err != nil {
		return nil, fmt.Errorf("log in to koji hub %s: %w", s["server"], err)
	}
	cand := s["candidate_tag"]
	switch cand {
	case "":
		cand = "{}-modular-updates-candidate"
	case "none":
		cand = ""
	}
	work := filepath.Join(stateDir, "koji")
	if err := os.MkdirAll(work, 0o755); err != nil {
		return nil, err
	}
	return kojibuild.New(&kojibuild.Options{
		Client: c, Source: src, Arches: splitList(s["arches"]), Perm: s["tag_permission"],
		CandidateTag: cand, WebURL: s["weburl"], TopURL: s["topurl"], WorkDir: work, Logger: logger,
	})
}

// platforms are the built-in platform modules for koji builds: their koji
// tag and buildroot profiles come from the settings.
func (s kojiSettings) platforms(streams []string) []*modulemd.Stream {
	out := platformStreams(streams)
	tpl := s["platform_tag"]
	if tpl == "" {
		tpl = "module-{}-build"
	}
	for _, p := range out {
		p.Summary = "Built-in platform of modkit koji builds"
		p.Description = "The base module of koji builds: the koji tag " + strings.ReplaceAll(tpl, "{}", p.Stream) + "."
		x := p.XMD.Map() // a copy
		x["mbs"].(map[string]any)["koji_tag"] = strings.ReplaceAll(tpl, "{}", p.Stream)
		p.XMD = modulemd.MustXMD(x)
		p.Profiles = map[string]modulemd.Profile{}
		if l := splitList(s["buildroot"]); len(l) > 0 {
			p.Profiles["buildroot"] = modulemd.Profile{RPMs: l}
		}
		if l := splitList(s["srpm_buildroot"]); len(l) > 0 {
			p.Profiles["srpm-buildroot"] = modulemd.Profile{RPMs: l}
		}
	}
	return out
}
