package modulemd

import "time"

// Obsoletes is a `document: modulemd-obsoletes` (version 1): it marks a module
// stream (optionally one context) as end of life, possibly naming a successor.
type Obsoletes struct {
	MDVersionNumber uint64

	// Modified is required; it has minute precision, in UTC.
	Modified time.Time
	Reset    bool
	Module   string
	Stream   string
	Context  string // empty means every context
	// EOLDate is when the obsoletes takes effect; zero means it already has.
	EOLDate     time.Time
	Message     string
	ObsoletedBy *ObsoletedBy

	pos *positions
}

// ObsoletedBy names the stream that replaces an obsoleted one.
type ObsoletedBy struct {
	Module string
	Stream string
}

// Kind implements [Document].
func (o *Obsoletes) Kind() Kind { return KindObsoletes }

// MDVersion implements [Document].
func (o *Obsoletes) MDVersion() uint64 { return o.MDVersionNumber }

// Source implements [Document].
func (o *Obsoletes) Source() Source { return o.pos.source() }
