package kojibuild

import (
	"crypto/sha1"
	"encoding/hex"
	"strconv"

	"github.com/modkit/modkit/orchestrator"
)

// Names are the koji names of a module build.
type Names struct {
	Tag      string // the module's content tag
	BuildTag string // Tag + "-build"
	Target   string // maps BuildTag to Tag
}

// NamesOf returns MBS's koji names for mb: the tag
// module-<name>-<stream>-<version>-<context> (scratch builds: scrmod-...
// with the suffix +<module build id>), falling back to module-<sha1[:16]>
// of "name.stream.version.context" when the tag plus "-build" would exceed
// 256 characters; the target is generated the same way with a limit of 56.
func NamesOf(mb *orchestrator.ModuleBuild) Names {
	tag := generate(mb, 256)
	return Names{Tag: tag, BuildTag: tag + "-build", Target: generate(mb, 56)}
}

func generate(mb *orchestrator.ModuleBuild, limit int) string {
	prefix, suffix := "module-", ""
	if mb.Scratch {
		prefix, suffix = "scrmod-", "+"+strconv.FormatInt(mb.ID, 10)
	}
	tag := prefix + mb.Name + "-" + mb.Stream + "-" + mb.Version + "-" + mb.Context + suffix
	if len(tag)+len("-build") > limit {
		sum := sha1.Sum([]byte(mb.Name + "." + mb.Stream + "." + mb.Version + "." + mb.Context))
		return prefix + hex.EncodeToString(sum[:])[:16] + suffix
	}
	return tag
}
