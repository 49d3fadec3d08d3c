package rebuilds

import (
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/modkit/modkit/orchestrator"
)

// GitPush is a dist-git push (fedmsg's git.receive commit).
type GitPush struct {
	Namespace, Repo, Branch, Rev string
	Files                        []string
}

// BodhiUpdate is the part of a Bodhi update message rebuilds read.
type BodhiUpdate struct {
	Alias   string
	Release string
	Builds  []string // NVRs
}

// KojiBuild is a koji build state change.
type KojiBuild struct {
	BuildID int64
	NVR     string
	State   int
}

// parsed is a message read by parse.
type parsed struct {
	typ    EventType
	key    string
	push   *GitPush
	module *orchestrator.ModuleMessage
	update *BodhiUpdate
	koji   *KojiBuild
	task   *KojiTask
	manual *ManualRequest
}

// parse reads m by its topic's suffix; ok is false for messages rebuilds
// do not act on (module states other than ready and failed, koji builds not
// complete, other topics).
func parse(m Message) (p parsed, ok bool, err error) {
	t := m.Topic
	bad := func(format string, args ...any) (parsed, bool, error) {
		return parsed{}, false, fmt.Errorf("message %s (%s): "+format, append([]any{m.ID, t}, args...)...)
	}
	switch {
	case strings.HasSuffix(t, TopicManual):
		return parseManual(m)
	case strings.HasSuffix(t, "git.receive"):
		var body struct {
			Commit *struct {
				Namespace string `json:"namespace"`
				Repo      string `json:"repo"`
				Branch    string `json:"branch"`
				Rev       string `json:"rev"`
				Stats     struct {
					Files json.RawMessage `json:"files"`
				} `json:"stats"`
			} `json:"commit"`
		}
		if err := json.Unmarshal(m.Body, &body); err != nil {
			return bad("%v", err)
		}
		c := body.Commit
		if c == nil || c.Repo == "" || c.Branch == "" || c.Rev == "" {
			return bad("commit.repo, commit.branch and commit.rev are required")
		}
		push := &GitPush{Namespace: c.Namespace, Repo: c.Repo, Branch: c.Branch, Rev: c.Rev}
		if len(c.Stats.Files) > 0 {
			var byName map[string]json.RawMessage
			if json.Unmarshal(c.Stats.Files, &byName) == nil {
				for f := range byName {
					push.Files = append(push.Files, f)
				}
			} else if err := json.Unmarshal(c.Stats.Files, &push.Files); err != nil {
				return bad("commit.stats.files: expected an object or a list of file names")
			}
		}
		slices.Sort(push.Files)
		p = parsed{push: push, key: push.Namespace + "/" + push.Repo + "@" + push.Branch}
		switch {
		case push.Namespace == "rpms" && slices.ContainsFunc(push.Files, func(f string) bool { return strings.HasSuffix(f, ".spec") }):
			p.typ = EventGitRPMSpecChange
		case push.Namespace == "modules" && slices.Contains(push.Files, push.Repo+".yaml"):
			p.typ = EventGitModuleMetadataChange
		case push.Namespace == "container" && slices.ContainsFunc(push.Files, func(f string) bool { return path.Base(f) == "Dockerfile" }):
			p.typ = EventGitDockerfileChange
		default:
			return parsed{}, false, nil
		}
		return p, true, nil
	case strings.HasSuffix(t, orchestrator.TopicModuleStateChange):
		var mm orchestrator.ModuleMessage
		if err := json.Unmarshal(m.Body, &mm); err != nil {
			return bad("%v", err)
		}
		if mm.Name == "" || mm.Stream == "" || mm.ID == 0 {
			return bad("id, name and stream are required")
		}
		if mm.State != orchestrator.StateReady && mm.State != orchestrator.StateFailed || mm.Scratch {
			return parsed{}, false, nil
		}
		return parsed{typ: EventModuleStateChange, module: &mm, key: mm.Name + ":" + mm.Stream}, true, nil
	case strings.Contains(t, "bodhi.update."):
		return parseBodhi(m)
	case strings.HasSuffix(t, "buildsys.task.state.change"):
		return parseTask(m)
	case strings.HasSuffix(t, "buildsys.build.state.change"):
		var body struct {
			BuildID int64  `json:"build_id"`
			Name    string `json:"name"`
			Version string `json:"version"`
			Release string `json:"release"`
			New     *int   `json:"new"`
		}
		if err := json.Unmarshal(m.Body, &body); err != nil {
			return bad("%v", err)
		}
		if body.New == nil || body.Name == "" {
			return bad("name and new are required")
		}
		if *body.New != 1 {
			return parsed{}, false, nil
		}
		k := &KojiBuild{BuildID: body.BuildID, NVR: body.Name + "-" + body.Version + "-" + body.Release, State: *body.New}
		return parsed{typ: EventKojiBuildComplete, koji: k, key: k.NVR}, true, nil
	}
	return parsed{}, false, nil
}
