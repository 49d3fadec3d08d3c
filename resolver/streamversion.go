package resolver

import (
	"regexp"
	"strconv"
	"strings"
)

// StreamVersion computes the stream version MBS derives from a base module
// stream name: the first run of digits and dots, each dot-separated part
// left-padded to two digits and, when rightPad is set, the whole right-padded
// with zeros to six digits. f28 gives 280000 (28 unpadded), f27.0.1 gives
// 270001, el8 gives 80000 (8), el8.3.0 gives 80300. It reports false when the
// stream has no digits. MBS's optional STREAM_SUFFIXES fractions are added
// by [StreamVersionSuffixed].
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

// StreamSuffix is one entry of MBS's STREAM_SUFFIXES: streams that Pattern
// matches at their start get Fraction added to their stream version, so that
// for example el8.3.0.z (80300.1) sorts after el8.3.0 (80300).
type StreamSuffix struct {
	Pattern  *regexp.Regexp
	Fraction float64
}

// StreamVersionSuffixed is [StreamVersion] as a float plus the Fraction of
// the first suffix whose Pattern matches at the start of stream (Python's
// re.match), as MBS's get_stream_version computes it: el8.3.0.z with
// {`el\d+\.\d+\.\d+\.z`, 0.1} gives 80300.1. It orders base module streams;
// the version prefix ([PrefixVersion]) keeps the integer part.
func StreamVersionSuffixed(stream string, rightPad bool, suffixes []StreamSuffix) (float64, bool) {
	v, ok := StreamVersion(stream, rightPad)
	if !ok {
		return 0, false
	}
	f := float64(v)
	for _, s := range suffixes {
		if s.Pattern == nil {
			continue
		}
		if loc := s.Pattern.FindStringIndex(stream); loc != nil && loc[0] == 0 {
			f += s.Fraction
			break
		}
	}
	return f, true
}

// BranchStream derives a base module stream from an SCM branch the way MBS
// applies BR_STREAM_OVERRIDE_REGEXES: the first regex found anywhere in the
// branch (Python's re.search) decides, and the stream is its non-empty
// capture groups concatenated (rhel-8.0.0 with `^(?:rh)(el)-(\d+\.\d+\.\d+)$`
// gives el8.0.0). It returns "" when no regex matches or the matching one
// captured nothing; later regexes are not tried then.
func BranchStream(branch string, regexes []*regexp.Regexp) string {
	for _, re := range regexes {
		if re == nil {
			continue
		}
		m := re.FindStringSubmatch(branch)
		if m == nil {
			continue
		}
		var b strings.Builder
		for _, g := range m[1:] {
			b.WriteString(g)
		}
		return b.String()
	}
	return ""
}
