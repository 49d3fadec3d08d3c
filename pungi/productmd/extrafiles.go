package productmd

import (
	"maps"
	"slices"
	"strings"
)

// ExtraFile is a file added to a variant tree (a GPG key, a README).
type ExtraFile struct {
	// File is relative to the compose directory.
	File      string
	Size      int64
	Checksums map[string]string // algorithm → hex digest
}

// ExtraFiles is the content of extra_files.json: variant UID → arch → files.
type ExtraFiles struct {
	Header     Header
	Compose    Compose
	ExtraFiles map[string]map[string][]ExtraFile
}

// Add records a file as productmd's ExtraFiles.add does.
func (e *ExtraFiles) Add(variant, arch string, f ExtraFile) error {
	p := problems{kind: TypeExtraFiles}
	checkExtraFile(&p, "payload.extra_files."+variant+"."+arch, variant, arch, f)
	if err := p.err(); err != nil {
		return err
	}
	if e.ExtraFiles == nil {
		e.ExtraFiles = map[string]map[string][]ExtraFile{}
	}
	if e.ExtraFiles[variant] == nil {
		e.ExtraFiles[variant] = map[string][]ExtraFile{}
	}
	e.ExtraFiles[variant][arch] = append(e.ExtraFiles[variant][arch], f)
	return nil
}

func checkExtraFile(p *problems, field, variant, arch string, f ExtraFile) {
	if variant == "" {
		p.add(field, "empty variant UID")
	}
	if !IsRPMArch(arch) {
		p.add(field, "arch %q is not an RPM arch", arch)
	}
	switch {
	case f.File == "":
		p.add(field+".file", "must not be empty")
	case !isRelative(f.File):
		p.add(field+".file", "%q is not a relative path", f.File)
	}
	if f.Checksums == nil {
		p.add(field+".checksums", "must be an object of algorithm: digest")
	}
	checkChecksums(p, field+".checksums", f.Checksums)
}

// checksumLengths are the hex digest lengths of the algorithms Pungi uses.
var checksumLengths = map[string]int{"md5": 32, "sha1": 40, "sha224": 56, "sha256": 64, "sha384": 96, "sha512": 128}

// checkChecksums checks known algorithms' digests for length and hex digits
// (productmd does not; a wrong digest is always a bug in the writer).
func checkChecksums(p *problems, field string, sums map[string]string) {
	for _, algo := range slices.Sorted(maps.Keys(sums)) {
		d := sums[algo]
		if n, ok := checksumLengths[algo]; ok && (len(d) != n || strings.Trim(strings.ToLower(d), "0123456789abcdef") != "") {
			p.add(field+"."+algo, "%q is not a %d-digit hex digest", d, n)
		}
	}
}

// Validate applies productmd's rules to every file.
func (e *ExtraFiles) Validate() error {
	p := problems{kind: TypeExtraFiles}
	e.Compose.validate(&p, "payload.compose")
	for _, v := range slices.Sorted(maps.Keys(e.ExtraFiles)) {
		for _, a := range slices.Sorted(maps.Keys(e.ExtraFiles[v])) {
			for i, f := range e.ExtraFiles[v][a] {
				checkExtraFile(&p, fieldf("payload.extra_files.%s.%s[%d]", v, a, i), v, a, f)
			}
		}
	}
	return p.err()
}

// MarshalJSON writes extra_files.json, format 1.2, after validating.
func (e *ExtraFiles) MarshalJSON() ([]byte, error) {
	if err := e.Validate(); err != nil {
		return nil, err
	}
	ef := obj{}
	for v, arches := range e.ExtraFiles {
		av := obj{}
		for a, files := range arches {
			l := make([]any, 0, len(files))
			for _, f := range files {
				l = append(l, obj{"file": f.File, "size": f.Size, "checksums": f.Checksums})
			}
			av[a] = l
		}
		ef[v] = av
	}
	return document(TypeExtraFiles, obj{"compose": e.Compose.payload(), "extra_files": ef}), nil
}

// UnmarshalJSON reads extra_files.json of any header version up to 1.2.
func (e *ExtraFiles) UnmarshalJSON(data []byte) error {
	var rest struct {
		ExtraFiles map[string]map[string][]struct {
			File      string            `json:"file"`
			Size      int64             `json:"size"`
			Checksums map[string]string `json:"checksums"`
		} `json:"extra_files"`
	}
	h, c, err := decodePayloadCompose(TypeExtraFiles, data, &rest)
	if err != nil {
		return err
	}
	if rest.ExtraFiles == nil {
		return &ValidationError{Kind: TypeExtraFiles, Problems: []Problem{{"payload.extra_files", "missing"}}}
	}
	out := ExtraFiles{Header: h, Compose: c, ExtraFiles: map[string]map[string][]ExtraFile{}}
	for v, arches := range rest.ExtraFiles {
		out.ExtraFiles[v] = map[string][]ExtraFile{}
		for a, files := range arches {
			l := []ExtraFile{}
			for _, f := range files {
				l = append(l, ExtraFile{File: f.File, Size: f.Size, Checksums: f.Checksums})
			}
			out.ExtraFiles[v][a] = l
		}
	}
	*e = out
	return nil
}

// MarshalTree renders the extra_files.json Pungi places inside a tree
// (productmd's dump_for_tree): {"header": {"version": "1.0"}, "data":
// [...]} listing the files of variant and arch, their paths relative to
// base (the tree, relative to the compose directory), sorted.
func (e *ExtraFiles) MarshalTree(variant, arch, base string) ([]byte, error) {
	var files []ExtraFile
	if e.ExtraFiles != nil {
		files = slices.Clone(e.ExtraFiles[variant][arch])
	}
	slices.SortFunc(files, func(a, b ExtraFile) int { return strings.Compare(a.File, b.File) })
	data := make([]any, 0, len(files))
	prefix := strings.TrimSuffix(base, "/") + "/"
	for _, f := range files {
		rel, ok := strings.CutPrefix(f.File, prefix)
		if !ok {
			return nil, errorf("extra file %s is not inside %s", f.File, base)
		}
		data = append(data, obj{"file": rel, "size": f.Size, "checksums": f.Checksums})
	}
	return writeJSON(obj{"header": obj{"version": "1.0"}, "data": data}), nil
}
