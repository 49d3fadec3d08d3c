package koji

import (
	"fmt"
	"strconv"

	"github.com/modkit/modkit/internal/xmlrpcx"
)

// Ref identifies a hub object (tag, target, build, package, user, RPM) by
// numeric id or by name. For builds the name is an NVR, for RPMs an
// N-V-R.A string. The zero Ref is sent as nil.
type Ref struct {
	id   int64
	name string
}

// ID returns a Ref for a numeric id.
func ID(id int64) Ref { return Ref{id: id} }

// Name returns a Ref for a name (or NVR).
func Name(name string) Ref { return Ref{name: name} }

// IsZero reports whether r is the zero Ref.
func (r Ref) IsZero() bool { return r.id == 0 && r.name == "" }

// String returns the name, or the id in decimal.
func (r Ref) String() string {
	if r.name != "" {
		return r.name
	}
	return strconv.FormatInt(r.id, 10)
}

// MarshalXMLRPC implements the encoding hook of the transport.
func (r Ref) MarshalXMLRPC() (any, error) {
	switch {
	case r.name != "":
		return r.name, nil
	case r.id != 0:
		return r.id, nil
	}
	return nil, nil
}

func (r Ref) quoted() string {
	if r.name != "" {
		return strconv.Quote(r.name)
	}
	return r.String()
}

func unmarshal(method string, v any, out any) error {
	if err := xmlrpcx.Unmarshal(v, out); err != nil {
		return fmt.Errorf("koji: %s: decode result: %w", method, err)
	}
	return nil
}

// setIf sets k[key] = v when cond holds.
func setIf(k Kwargs, cond bool, key string, v any) {
	if cond {
		k[key] = v
	}
}

// QueryOptions are koji's queryOpts for list calls.
type QueryOptions struct {
	Order  string // field name, "-field" for descending
	Offset int
	Limit  int
}

// addTo sets k["queryOpts"] when q holds any option.
func (q *QueryOptions) addTo(k Kwargs) {
	if q == nil {
		return
	}
	m := map[string]any{}
	setIf(m, q.Order != "", "order", q.Order)
	setIf(m, q.Offset > 0, "offset", q.Offset)
	setIf(m, q.Limit > 0, "limit", q.Limit)
	setIf(k, len(m) > 0, "queryOpts", m)
}
