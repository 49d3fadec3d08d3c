package modulemd

// Defaults is a `document: modulemd-defaults` (version 1): the default stream
// and default profiles of one module.
type Defaults struct {
	MDVersionNumber uint64

	Module string
	// Modified orders competing defaults when merging (YYYYMMDDHHMM by
	// convention); 0 means unset.
	Modified uint64
	// Stream is the default stream; empty when there is none.
	Stream string
	// Profiles maps a stream name to its default profiles. A present entry
	// with an empty (non-nil) list means "explicitly no default profiles".
	Profiles map[string][]string
	// Intents are deprecated per-intent defaults; they are read and written
	// but never acted on.
	Intents map[string]Intent

	// conflict is set when a merge found incompatible default streams; such
	// defaults read and emit as having no default stream.
	conflict bool

	pos *positions
}

// Intent is one entry of the deprecated `intents` map.
type Intent struct {
	Stream   string
	Profiles map[string][]string
}

// Kind implements [Document].
func (d *Defaults) Kind() Kind { return KindDefaults }

// MDVersion implements [Document].
func (d *Defaults) MDVersion() uint64 { return d.MDVersionNumber }

// Source implements [Document].
func (d *Defaults) Source() Source { return d.pos.source() }
