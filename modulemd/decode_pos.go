package modulemd

import (
	"hash/maphash"
	"sync"
)

// Decoded documents remember where each field was found so that validation
// can locate problems. A big modules.yaml has about 200 fields per stream, so
// storing them as map[string]Position would cost more memory than the
// documents themselves. Instead:
//
//   - the header fields and data.name, data.stream, data.context,
//     data.summary and data.description (whose presence validation may
//     check: libmodulemd accepts an empty summary, not a missing one) go
//     into positions.at;
//   - every other path is packed into 8 bytes: a 32-bit FNV-1a hash of the
//     path, the line relative to the document start (20 bits, saturating)
//     and the column (12 bits, saturating), in a slice in document order
//     that pos() searches when at has no entry (only to locate a problem,
//     so a linear search from the end costs less than sorting every
//     document's entries).
//
// A hash collision can at worst attach a wrong location to a message.

// posEntry is a hashed path and its position, packed as described above.
type posEntry uint64

const (
	fnvOffset32 = 2166136261
	fnvPrime32  = 16777619
	relLineBits = 20
	columnBits  = 12
)

func pathHash(path string) uint32 {
	return fnvAppend(fnvOffset32, path)
}

// fnvAppend continues the FNV-1a hash h over s.
func fnvAppend(h uint32, s string) uint32 {
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= fnvPrime32
	}
	return h
}

// joinHash is pathHash(path + "." + key) given h = pathHash(path).
func joinHash(h uint32, key string) uint32 {
	h ^= '.'
	h *= fnvPrime32
	return fnvAppend(h, key)
}

func (e posEntry) hash() uint32 { return uint32(e >> 32) }

// eagerPaths are the paths kept in positions.at, by index.
var eagerPaths = [...]string{"document", "version", "data", "data.name", "data.stream", "data.context", "data.summary", "data.description"}

// eagerIndex returns the index of path in eagerPaths, or -1.
func eagerIndex(path string) int {
	for i, p := range eagerPaths {
		if p == path {
			return i
		}
	}
	return -1
}

// eagerPath reports the paths kept in positions.at.
func eagerPath(path string) bool { return eagerIndex(path) >= 0 }

// has reports whether the decoder recorded path (the field was present).
func (p *positions) has(path string) bool {
	if p == nil {
		return false
	}
	if i := eagerIndex(path); i >= 0 {
		return p.at[i].Line != 0
	}
	_, ok := p.lookup(path)
	return ok
}

// scratchPool recycles the slices positions are collected in before seal
// copies them to one of exact size.
var scratchPool = sync.Pool{New: func() any { s := make([]posEntry, 0, 1024); return &s }}

// record stores the position of path.
func (p *positions) record(path string, at Position) {
	if eagerPath(path) {
		p.set(path, at)
		return
	}
	p.push(pathHash(path), at)
}

func (p *positions) push(h uint32, at Position) {
	if p.hashed == nil {
		p.hashed = (*scratchPool.Get().(*[]posEntry))[:0]
	}
	rel := min(max(at.Line-p.src.Line, 0), 1<<relLineBits-1)
	col := min(max(at.Column, 0), 1<<columnBits-1)
	p.hashed = append(p.hashed, posEntry(uint64(h)<<32|uint64(rel)<<columnBits|uint64(col)))
}

// release returns the scratch slice of a document that failed to decode.
func (p *positions) release() {
	if p != nil && p.hashed != nil {
		s := p.hashed[:0]
		p.hashed = nil
		scratchPool.Put(&s)
	}
}

// seal moves the hashed positions from the scratch slice to one of exact
// size. They stay in document order: lookup, which only locating a problem
// needs, searches from the end, so the last record of a path wins as the
// decoder reads duplicate keys (last-wins).
func (p *positions) seal() {
	if p.hashed == nil {
		return
	}
	exact := make([]posEntry, len(p.hashed))
	copy(exact, p.hashed)
	scratch := p.hashed[:0]
	p.hashed = exact
	scratchPool.Put(&scratch)
}

// interner deduplicates the short strings of the documents one Decoder
// reads (names, refs, arches, xmd values repeat across streams), which
// roughly halves the memory a large index takes. It is a direct-mapped
// cache: a miss just replaces the slot.
//
// An interner serves one document at a time: the decoder lends one to each
// document being decoded (Decoder.borrowInterner), so workers neither
// synchronize on it nor pull each other's slots between caches. A string
// repeated in documents decoded by different workers is kept once per
// worker at most. The first document of a stream gets none and the next
// ones small interners, so that a file of a few documents does not pay for
// zeroing and scanning 1 MiB of slots (internerBits).
type interner struct {
	seed  maphash.Seed
	slots []string
	mask  uint64 // len(slots)-1
}

// Interner sizes: small ones serve the first documents of a stream, large
// ones the rest (64Ki slots).
const (
	smallInternerBits = 10
	largeInternerBits = 16
)

// newInterner returns an interner of 1<<bits string slots.
func newInterner(bits int) *interner {
	return &interner{seed: maphash.MakeSeed(), slots: make([]string, 1<<bits), mask: 1<<bits - 1}
}

func (t *interner) get(s string) string {
	if t == nil || len(s) == 0 || len(s) > 65536 {
		return s
	}
	slot := &t.slots[maphash.String(t.seed, s)&t.mask]
	if *slot == s {
		return *slot
	}
	*slot = s
	return s
}

// lookup finds path among the hashed positions: its last record.
func (p *positions) lookup(path string) (Position, bool) {
	if len(p.hashed) == 0 {
		return Position{}, false
	}
	h := pathHash(path)
	for i := len(p.hashed) - 1; i >= 0; i-- {
		if e := p.hashed[i]; e.hash() == h {
			rel := int(e>>columnBits) & (1<<relLineBits - 1)
			return Position{Line: p.src.Line + rel, Column: int(e) & (1<<columnBits - 1)}, true
		}
	}
	return Position{}, false
}
