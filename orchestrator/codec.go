package orchestrator

import (
	"fmt"

	"github.com/modkit/modkit/modulemd"
)

// decodeStream reads the one module stream of a stored modulemd.
func decodeStream(yaml string) (*modulemd.Stream, error) {
	docs, err := modulemd.Parse([]byte(yaml))
	if err != nil {
		return nil, fmt.Errorf("read stored modulemd: %w", err)
	}
	for _, d := range docs {
		if s, ok := d.(*modulemd.Stream); ok {
			return s, nil
		}
	}
	return nil, fmt.Errorf("read stored modulemd: no module stream document")
}

// encodeStream writes s as YAML for storing.
func encodeStream(s *modulemd.Stream) (string, error) {
	b, err := modulemd.Marshal(s)
	if err != nil {
		return "", fmt.Errorf("write modulemd of %s:%s: %w", s.Name, s.Stream, err)
	}
	return string(b), nil
}

// xmdGet returns (a copy of) the xmd value at keys; nil when a key is
// missing.
func xmdGet(x modulemd.XMD, keys ...string) any { return x.Get(keys...) }

// editXMD changes s.XMD: edit gets a copy of its top-level mapping (empty
// when there is none), which then replaces it.
func editXMD(s *modulemd.Stream, edit func(root map[string]any)) error {
	root := s.XMD.Map()
	edit(root)
	x, err := modulemd.NewXMD(root)
	if err != nil {
		return err
	}
	s.XMD = x
	return nil
}

// subMap returns the map at keys under m, creating maps on the way.
func subMap(m map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	return m
}
