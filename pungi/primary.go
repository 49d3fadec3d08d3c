package pungi

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// ReadPackages returns the NEVRAs ("name-epoch:version-release.arch") of
// every package in the primary metadata of the repository at dir, in file
// order.
func ReadPackages(dir string) ([]string, error) {
	href, err := RepoDataHref(dir, "primary")
	if err != nil {
		return nil, err
	}
	if href == "" {
		return nil, fmt.Errorf("pungi: %s: repodata/repomd.xml has no primary metadata", dir)
	}
	f, err := os.Open(filepath.Join(dir, filepath.FromSlash(href)))
	if err != nil {
		return nil, fmt.Errorf("pungi: %w", err)
	}
	defer f.Close()
	r, err := decompress(f)
	if err != nil {
		return nil, fmt.Errorf("pungi: %s: %w", href, err)
	}
	dec := xml.NewDecoder(r)
	var out []string
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("pungi: %s: %w", href, err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "package" {
			continue
		}
		var p struct {
			Name    string `xml:"name"`
			Arch    string `xml:"arch"`
			Version struct {
				Epoch string `xml:"epoch,attr"`
				Ver   string `xml:"ver,attr"`
				Rel   string `xml:"rel,attr"`
			} `xml:"version"`
		}
		if err := dec.DecodeElement(&p, &se); err != nil {
			return nil, fmt.Errorf("pungi: %s: %w", href, err)
		}
		if p.Name == "" || p.Version.Ver == "" || p.Arch == "" {
			line, _ := dec.InputPos()
			return nil, fmt.Errorf("pungi: %s:%d: package without name, version or arch", href, line)
		}
		epoch := p.Version.Epoch
		if epoch == "" {
			epoch = "0"
		}
		out = append(out, fmt.Sprintf("%s-%s:%s-%s.%s", p.Name, epoch, p.Version.Ver, p.Version.Rel, p.Arch))
	}
}

// RepoDataHref returns where repository dir's repodata/repomd.xml puts the
// data of type typ ("primary", "modules", "updateinfo", ...), relative to
// dir; "" when the repository has no such data.
func RepoDataHref(dir, typ string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, "repodata", "repomd.xml"))
	if err != nil {
		return "", fmt.Errorf("pungi: %s is not a repository: %w", dir, err)
	}
	var md struct {
		Data []struct {
			Type     string `xml:"type,attr"`
			Location struct {
				Href string `xml:"href,attr"`
			} `xml:"location"`
		} `xml:"data"`
	}
	if err := xml.Unmarshal(b, &md); err != nil {
		return "", fmt.Errorf("pungi: %s: repodata/repomd.xml: %w", dir, err)
	}
	for _, d := range md.Data {
		if d.Type == typ {
			return d.Location.Href, nil
		}
	}
	return "", nil
}
