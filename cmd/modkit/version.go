package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"
)

func init() {
	register("version", "print modkit's version, the commit it was built from and the Go version", runVersion)
}

const versionAbout = `
Prints the module version of this modkit binary ("(devel)" when it was built
from a checkout rather than installed as a released module version), the
version control revision and time it was built from when Go recorded them
(a "modified" note when the working tree had uncommitted changes), and the
Go version and platform it was built with. --json prints the same as one
JSON object.`

// versionInfo is what 'modkit version' reports.
type versionInfo struct {
	Version  string `json:"version"`
	Revision string `json:"revision,omitempty"`
	Time     string `json:"time,omitempty"`
	Modified bool   `json:"modified,omitempty"`
	Go       string `json:"go"`
	Platform string `json:"platform"`
}

// readVersion is debug.ReadBuildInfo; tests replace it.
var readVersion = debug.ReadBuildInfo

func runVersion(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("version", "version [--json]", versionAbout, stdout)
	asJSON := fs.Bool("json", false, "print a JSON object {version, revision, time, modified, go, platform}")
	pos, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return fs.usageError("takes no arguments (got %q)", pos[0])
	}
	v := buildVersion(readVersion())
	if *asJSON {
		return printJSON(stdout, v)
	}
	_, err = io.WriteString(stdout, v.String())
	return err
}

// buildVersion extracts the version information from a binary's build info
// (nil when the binary has none).
func buildVersion(bi *debug.BuildInfo, ok bool) versionInfo {
	v := versionInfo{Version: "unknown", Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if !ok || bi == nil {
		return v
	}
	if bi.Main.Version != "" {
		v.Version = bi.Main.Version
	}
	if bi.GoVersion != "" {
		v.Go = bi.GoVersion
	}
	var goos, goarch string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Revision = s.Value
		case "vcs.time":
			v.Time = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		case "GOOS":
			goos = s.Value
		case "GOARCH":
			goarch = s.Value
		}
	}
	if goos != "" && goarch != "" {
		v.Platform = goos + "/" + goarch
	}
	return v
}

func (v versionInfo) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "modkit %s\n", v.Version)
	if v.Revision != "" {
		fmt.Fprintf(&b, "commit %s", v.Revision)
		var notes []string
		if v.Time != "" {
			notes = append(notes, v.Time)
		}
		if v.Modified {
			notes = append(notes, "with uncommitted changes")
		}
		if len(notes) > 0 {
			fmt.Fprintf(&b, " (%s)", strings.Join(notes, ", "))
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "built with %s for %s\n", v.Go, v.Platform)
	return b.String()
}
