package kojitest

import (
	"strings"

	"github.com/modkit/modkit/internal/xmlrpcx"
)

func init() {
	def("getRPMHeaders", "getRPMHeaders", mGetRPMHeaders, "rpmID=None", "taskID=None", "filepath=None", "headers=None", "strict=False")
}

// SimLicense is the License header of every RPM that a simulated build
// task produced (getRPMHeaders); the test hub keeps no RPM files, so RPMs
// of content-generator imports have no headers, as if their files were
// missing.
const SimLicense = "MIT"

// mGetRPMHeaders answers for RPMs by id: the requested headers that the
// test hub knows (license, name, version, release, arch of RPMs built by
// its tasks), {} for others; a missing RPM is {} or, strict, a fault.
func mGetRPMHeaders(cx *callCtx, a args) (any, *xmlrpcx.Fault) {
	out := map[string]any{}
	if !a.has("rpmID") {
		if a.boolean("strict") {
			return nil, fault(1000, "getRPMHeaders needs an rpmID here (taskID and filepath are not supported by kojitest)")
		}
		return out, nil
	}
	r := cx.st.rpms[a.int("rpmID")]
	if r == nil {
		if a.boolean("strict") {
			return nil, fault(1000, "No such rpm: %d", a.int("rpmID"))
		}
		return out, nil
	}
	b := cx.st.builds[r.buildID]
	if b == nil || b.taskID == nil {
		if a.boolean("strict") {
			return nil, fault(1000, "RPM file of %s-%s-%s.%s not found", r.name, r.version, r.release, r.arch)
		}
		return out, nil
	}
	known := map[string]any{"license": SimLicense, "name": r.name, "version": r.version, "release": r.release, "arch": r.arch}
	for _, h := range a.strs("headers") {
		if v, ok := known[strings.ToLower(h)]; ok {
			out[h] = v
		}
	}
	return out, nil
}
