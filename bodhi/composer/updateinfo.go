package composer

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/modkit/modkit/internal/systool"
)

// Advisory is one update as updateinfo.xml describes it.
type Advisory struct {
	ID          string // the Bodhi alias
	Title       string
	Type        string // bugfix, security, enhancement, newpackage
	Status      string // stable or testing
	From        string // e.g. updates@fedoraproject.org
	Severity    string // "" for none
	Release     string // long name, e.g. "Fedora 27 Modular"
	Description string
	Issued      time.Time
	Updated     time.Time
	Rights      string
	// Collections are usually one per module stream of the update.
	Collections []Collection
	Bugs        []Reference
}

// Collection is one <collection> of an advisory's package list.
type Collection struct {
	Short    string  // release short name, e.g. F27M
	Name     string  // release long name
	Module   *Module // the module stream the packages belong to, or nil
	Packages []Package
}

// Module is the <module/> element of a collection.
type Module struct {
	Name, Stream string
	Version      uint64
	Context      string
	Arch         string
}

// Package is one <package> of a collection.
type Package struct {
	Name, Version, Release, Arch string
	Epoch                        string // "0" when empty
	Src                          string // source RPM file name or URL
	Filename                     string
	RebootSuggested              bool
}

// Reference is a bug or other reference of an advisory.
type Reference struct {
	Href, ID, Type, Title string // Type: bugzilla, cve, self
}

type xmlUpdates struct {
	XMLName xml.Name    `xml:"updates"`
	Updates []xmlUpdate `xml:"update"`
}

type xmlDate struct {
	Date string `xml:"date,attr"`
}

type xmlUpdate struct {
	From        string         `xml:"from,attr"`
	Status      string         `xml:"status,attr"`
	Type        string         `xml:"type,attr"`
	Version     string         `xml:"version,attr"`
	ID          string         `xml:"id"`
	Title       string         `xml:"title"`
	Issued      *xmlDate       `xml:"issued"`
	Updated     *xmlDate       `xml:"updated"`
	Rights      string         `xml:"rights,omitempty"`
	Release     string         `xml:"release,omitempty"`
	Severity    string         `xml:"severity,omitempty"`
	Summary     string         `xml:"summary,omitempty"`
	Description string         `xml:"description,omitempty"`
	References  []xmlReference `xml:"references>reference"`
	Collections []xmlColl      `xml:"pkglist>collection"`
}

type xmlReference struct {
	Href  string `xml:"href,attr"`
	ID    string `xml:"id,attr"`
	Type  string `xml:"type,attr"`
	Title string `xml:"title,attr,omitempty"`
}

type xmlColl struct {
	Short    string     `xml:"short,attr,omitempty"`
	Name     string     `xml:"name"`
	Module   *xmlModule `xml:"module"`
	Packages []xmlPkg   `xml:"package"`
}

type xmlModule struct {
	Name    string `xml:"name,attr"`
	Stream  string `xml:"stream,attr"`
	Version uint64 `xml:"version,attr"`
	Context string `xml:"context,attr"`
	Arch    string `xml:"arch,attr"`
}

type xmlPkg struct {
	Name     string    `xml:"name,attr"`
	Version  string    `xml:"version,attr"`
	Release  string    `xml:"release,attr"`
	Epoch    string    `xml:"epoch,attr"`
	Arch     string    `xml:"arch,attr"`
	Src      string    `xml:"src,attr,omitempty"`
	Filename string    `xml:"filename"`
	Reboot   *struct{} `xml:"reboot_suggested"`
}

const dateLayout = "2006-01-02 15:04:05"

// UpdateInfo encodes advisories as updateinfo.xml, in the given order.
func UpdateInfo(advisories []Advisory) ([]byte, error) {
	doc := xmlUpdates{}
	for _, a := range advisories {
		if a.ID == "" {
			return nil, fmt.Errorf("composer: updateinfo: advisory without an id")
		}
		u := xmlUpdate{From: a.From, Status: a.Status, Type: a.Type, Version: "2.0", ID: a.ID, Title: a.Title,
			Rights: a.Rights, Release: a.Release, Severity: a.Severity, Description: a.Description}
		if u.Type == "" {
			u.Type = "bugfix"
		}
		u.Summary = strings.TrimSpace(a.Title + " " + u.Type + " update")
		if !a.Issued.IsZero() {
			u.Issued = &xmlDate{a.Issued.UTC().Format(dateLayout)}
		}
		if !a.Updated.IsZero() {
			u.Updated = &xmlDate{a.Updated.UTC().Format(dateLayout)}
		}
		for _, r := range a.Bugs {
			u.References = append(u.References, xmlReference{Href: r.Href, ID: r.ID, Type: r.Type, Title: r.Title})
		}
		for _, c := range a.Collections {
			xc := xmlColl{Short: c.Short, Name: c.Name}
			if m := c.Module; m != nil {
				if m.Name == "" || m.Stream == "" || m.Context == "" || m.Arch == "" {
					return nil, fmt.Errorf("composer: updateinfo: advisory %s: module %s:%s:%d:%s:%s: name, stream, context and arch are required",
						a.ID, m.Name, m.Stream, m.Version, m.Context, m.Arch)
				}
				xc.Module = &xmlModule{Name: m.Name, Stream: m.Stream, Version: m.Version, Context: m.Context, Arch: m.Arch}
			}
			for _, p := range c.Packages {
				xp := xmlPkg{Name: p.Name, Version: p.Version, Release: p.Release, Epoch: p.Epoch, Arch: p.Arch, Src: p.Src, Filename: p.Filename}
				if xp.Epoch == "" {
					xp.Epoch = "0"
				}
				if p.RebootSuggested {
					xp.Reboot = &struct{}{}
				}
				xc.Packages = append(xc.Packages, xp)
			}
			u.Collections = append(u.Collections, xc)
		}
		doc.Updates = append(doc.Updates, u)
	}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("composer: updateinfo: %w", err)
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

// AddUpdateInfo injects updateinfo.xml into the repository at repoDir
// (`modifyrepo_c --mdtype=updateinfo`), replacing an earlier one.
func AddUpdateInfo(ctx context.Context, repoDir string, updateinfo []byte) error {
	if err := systool.Check("modifyrepo_c"); err != nil {
		return fmt.Errorf("composer: add updateinfo to %s: %w", repoDir, err)
	}
	repodata := filepath.Join(repoDir, "repodata")
	repomd, err := os.ReadFile(filepath.Join(repodata, "repomd.xml"))
	if err != nil {
		return fmt.Errorf("composer: add updateinfo: %w", err)
	}
	if bytes.Contains(repomd, []byte(`type="updateinfo"`)) {
		if out, err := exec.CommandContext(ctx, "modifyrepo_c", "--remove", "updateinfo", repodata).CombinedOutput(); err != nil {
			return fmt.Errorf("composer: modifyrepo_c --remove updateinfo: %v: %s", err, out)
		}
	}
	tmp, err := os.MkdirTemp("", "modkit-updateinfo-")
	if err != nil {
		return fmt.Errorf("composer: %w", err)
	}
	defer os.RemoveAll(tmp)
	p := filepath.Join(tmp, "updateinfo.xml") // modifyrepo_c names the metadata after its file
	if err := os.WriteFile(p, updateinfo, 0o644); err != nil {
		return fmt.Errorf("composer: %w", err)
	}
	if out, err := exec.CommandContext(ctx, "modifyrepo_c", "--mdtype=updateinfo", "--compress-type=gz", p, repodata).CombinedOutput(); err != nil {
		return fmt.Errorf("composer: modifyrepo_c --mdtype=updateinfo %s: %v: %s", repoDir, err, out)
	}
	return nil
}
