package modulemd

// Translations is a `document: modulemd-translations` (version 1): localized
// summaries and descriptions for one module stream.
type Translations struct {
	MDVersionNumber uint64

	Module   string
	Stream   string
	Modified uint64
	// Entries maps a locale ("ja", "en_GB") to its strings.
	Entries map[string]TranslationEntry

	pos *positions
}

// TranslationEntry holds the strings of one locale.
type TranslationEntry struct {
	Summary     string
	Description string
	// Profiles maps a profile name to its translated description.
	Profiles map[string]string
}

// Kind implements [Document].
func (t *Translations) Kind() Kind { return KindTranslations }

// MDVersion implements [Document].
func (t *Translations) MDVersion() uint64 { return t.MDVersionNumber }

// Source implements [Document].
func (t *Translations) Source() Source { return t.pos.source() }
