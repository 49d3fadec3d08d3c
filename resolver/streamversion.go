package resolver

import (
	"strconv"
	"strings"
)

// StreamVersion computes the stream version MBS derives from a base module
// stream name: the first run of digits and dots, each dot-separated part
// left-padded to two digits and, when rightPad is set, the whole right-padded
// with zeros to six digits. f28 gives 280000 (28 unpadded), f27.0.1 gives
// 270001, el8 gives 80000 (8), el8.3.0 gives 80300. It reports false when the
// stream has no digits. MBS's optional STREAM_SUFFIXES fractions are not
// applied: they only order streams that share a number.
func StreamVersion(stream string, rightPad bool) (uint64, bool) {
	start := strings.IndexAny(stream, "0123456789")
	if start < 0 {
		return 0, false
	}
	end := start
	for end < len(stream) && (stream[end] == '.' || stream[end] >= '0' && stream[end] <= '9') {
		end++
	}
	run := strings.Trim(stream[start:end], ".")
	var b strings.Builder
	for _, part := range strings.Split(run, ".") {
		if len(part) < 2 {
			b.WriteString(strings.Repeat("0", 2-len(part)))
		}
		b.WriteString(part)
	}
	digits := b.String()
	if rightPad && len(digits) < 6 {
		digits += strings.Repeat("0", 6-len(digits))
	}
	v, err := strconv.ParseUint(digits, 10, 64)
	if err != nil {
		return 0, false
	}
	return v, true
}

// PrefixVersion writes the unpadded stream version of base stream in front of
// version, as MBS does for every module built against a base module
// (f32 and 20200512104430 give 3220200512104430). It returns version
// unchanged when base has no stream version, version is zero, or the result
// would not fit in a uint64.
func PrefixVersion(baseStream string, version uint64) uint64 {
	sv, ok := StreamVersion(baseStream, false)
	if !ok || version == 0 {
		return version
	}
	v, err := strconv.ParseUint(strconv.FormatUint(sv, 10)+strconv.FormatUint(version, 10), 10, 64)
	if err != nil {
		return version
	}
	return v
}
