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

// xmdGet walks nested xmd maps; nil when a key is missing.
func xmdGet(x any, keys ...string) any {
	for _, k := range keys {
		m, ok := x.(map[string]any)
		if !ok {
			return nil
		}
		x = m[k]
	}
	return x
}

// xmdMap returns the map at keys under s.XMD, creating maps on the way.
func xmdMap(s *modulemd.Stream, keys ...string) map[string]any {
	root, ok := s.XMD.(map[string]any)
	if !ok {
		root = map[string]any{}
		s.XMD = root
	}
	m := root
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
