package productmd

import (
	"encoding"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// MetadataDir returns the metadata directory of a compose: composeDir/
// compose/metadata when it holds composeinfo.json, else composeDir/metadata
// (composeDir is then the "compose" directory itself).
func MetadataDir(composeDir string) (string, error) {
	for _, d := range []string{filepath.Join(composeDir, "compose", "metadata"), filepath.Join(composeDir, "metadata")} {
		if _, err := os.Stat(filepath.Join(d, "composeinfo.json")); err == nil {
			return d, nil
		}
	}
	return "", fmt.Errorf("productmd: %s: no compose/metadata/composeinfo.json: %w", composeDir, os.ErrNotExist)
}

// Load reads the file at path into v, one of *ComposeInfo, *RPMs, *Modules,
// *Images, *ExtraFiles (JSON) or *TreeInfo (INI). Errors name the file.
func Load(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("productmd: %w", err)
	}
	switch x := v.(type) {
	case json.Unmarshaler:
		err = x.UnmarshalJSON(data)
	case encoding.TextUnmarshaler:
		err = x.UnmarshalText(data)
	default:
		return fmt.Errorf("productmd: Load: %T is not a metadata type", v)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// Save writes v (as Load accepts) to path: into a temporary file beside it,
// then renamed, so readers never see a partial file.
func Save(path string, v any) error {
	var data []byte
	var err error
	switch x := v.(type) {
	case json.Marshaler:
		data, err = x.MarshalJSON()
	case encoding.TextMarshaler:
		data, err = x.MarshalText()
	default:
		return fmt.Errorf("productmd: Save: %T is not a metadata type", v)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-")
	if err != nil {
		return fmt.Errorf("productmd: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("productmd: %w", err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("productmd: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("productmd: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("productmd: %w", err)
	}
	return nil
}
