package modulemd

import "github.com/modkit/modkit/internal/rpmver"

// CompareVersions compares two RPM version or release strings with rpm's
// rpmvercmp rules ('~' sorts before everything, '^' after the end of the
// string) and returns -1, 0 or +1.
func CompareVersions(a, b string) int { return rpmver.Compare(a, b) }

// CompareEVR compares two "[epoch:]version[-release]" strings the way rpm
// orders packages: epochs numerically (absent = 0), then versions, then
// releases with [CompareVersions]. Malformed input never fails: a prefix
// before ':' that is not all digits is treated as part of the version.
func CompareEVR(a, b string) int { return rpmver.CompareEVRStrings(a, b) }
