package rebuilds

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/modkit/modkit/internal/rpmver"
)

// Image handler names, as rules and decisions spell them. The slow flow is
// Freshmaker's RebuildImagesOnRPMBodhiUpdate (on bodhi.update.complete.stable);
// the fast flow (on an update created or ready for testing, through an
// on-demand compose of its builds) and the parent-build handler follow
// Freshmaker's naming.
const (
	HandlerImagesOnBodhiStable  = "RebuildImagesOnRPMBodhiUpdate"
	HandlerImagesOnBodhiTesting = "RebuildImagesOnRPMBodhiUpdateTesting"
	HandlerImagesOnParentBuild  = "RebuildImagesOnParentImageBuild"
)

// ImageRPM is a binary RPM in an image or an update.
type ImageRPM struct {
	Name, Version, Release, Arch string
	Epoch                        *int
}

func (r ImageRPM) evr() rpmver.EVR {
	var e uint64
	if r.Epoch != nil && *r.Epoch > 0 {
		e = uint64(*r.Epoch)
	}
	return rpmver.EVR{Epoch: e, Version: r.Version, Release: r.Release}
}

func (r ImageRPM) String() string {
	s := r.Name + "-"
	if r.Epoch != nil && *r.Epoch != 0 {
		s += strconv.Itoa(*r.Epoch) + ":"
	}
	return s + r.Version + "-" + r.Release
}

// Image is a complete container image build and its content.
type Image struct {
	BuildID                     int64
	NVR, Name, Version, Release string
	// Stream is the dist-git branch the image was built from (the git_branch
	// of its buildContainer task); images are grouped by Name and Stream.
	Stream string
	// Source is the SCM URL (at a commit) the image was built from, and
	// Target the koji build target it was built in.
	Source, Target string
	// ParentBuildID is the koji build of the image it was built FROM (0 for
	// a base image).
	ParentBuildID int64
	// RPMs are the RPMs of all its archives (every arch), parent layers
	// included.
	RPMs      []ImageRPM
	Completed time.Time
}

// ImageSource lists the container images an update may affect.
type ImageSource interface {
	// Images returns the complete image builds, older builds included.
	Images(ctx context.Context) ([]*Image, error)
	// BuildRPMs returns the binary RPMs of the builds with the given NVRs
	// (an update's builds).
	BuildRPMs(ctx context.Context, nvrs []string) ([]ImageRPM, error)
}

// ContainerBuildRequest is one image rebuild, as submitted to an
// [ImageBuilder] (the arguments of koji's buildContainer).
type ContainerBuildRequest struct {
	Source string `json:"source"`
	Target string `json:"target"`
	// Branch is the git branch (git_branch); Release the new build's
	// release, so the rebuild gets a new NVR at the same commit.
	Branch  string `json:"git_branch"`
	Release string `json:"release"`
	// ParentBuild is the NVR of the rebuilt parent image to build FROM
	// (koji_parent_build); empty to use the Dockerfile's parent.
	ParentBuild string `json:"koji_parent_build,omitempty"`
	// RepoURLs are .repo files of extra repositories (yum_repourls), in the
	// fast flow the on-demand compose of the update's builds.
	RepoURLs []string `json:"yum_repourls,omitempty"`
}

// ContainerBuildStatus is the state of a submitted image rebuild.
type ContainerBuildStatus struct {
	Finished, Failed bool
	// NVR is the new image build's NVR once finished successfully.
	NVR string
	// Reason says why it failed.
	Reason string
}

// ImageBuilder builds container images; [KojiImages] does it with koji's
// buildContainer.
type ImageBuilder interface {
	// BuildContainer submits a build and returns its id (a koji task id).
	BuildContainer(ctx context.Context, req *ContainerBuildRequest) (int64, error)
	// ContainerBuild reports the state of a submitted build.
	ContainerBuild(ctx context.Context, id int64) (*ContainerBuildStatus, error)
}

// ImageBuildFinder is an optional interface of an [ImageBuilder]: it finds
// a build submitted for req since a time (a crash between submitting and
// recording it), so a resumed rebuild is adopted instead of submitted twice.
type ImageBuildFinder interface {
	FindContainerBuild(ctx context.Context, req *ContainerBuildRequest, since time.Time) (int64, bool, error)
}

// Composer makes an on-demand compose (ODCS's build source type) of the
// given builds and returns the URL of its .repo file, once the compose is
// done.
type Composer interface {
	ComposeBuilds(ctx context.Context, nvrs []string) (repoURL string, err error)
}

// ImageOptions configure container image rebuilds (Options.Images).
type ImageOptions struct {
	// Source lists image builds and update RPMs; required.
	Source ImageSource
	// Builder submits rebuilds; required when Build is set.
	Builder ImageBuilder
	// Composer makes the fast flow's compose; without it the fast flow's
	// events are recorded and skipped.
	Composer Composer
	// Build submits image rebuilds. Unset (the default), image events are
	// handled as a dry run: the decisions are recorded, nothing is built
	// and no compose is requested.
	Build bool
}

// BodhiUpdateRequestStable is Bodhi's bodhi.update.request.stable: recorded
// only; the slow flow rebuilds when the stable push completes.
const EventBodhiUpdateRequestStable EventType = 102

// KojiTask is a koji task state change (buildsys.task.state.change).
type KojiTask struct {
	ID     int64
	Method string
	State  string // FREE, OPEN, CLOSED, CANCELED, ASSIGNED, FAILED
}

var kojiTaskStates = []string{"FREE", "OPEN", "CLOSED", "CANCELED", "ASSIGNED", "FAILED"}

// parseBodhi reads Bodhi's update messages: complete.stable (slow flow),
// request.stable (recorded only), request.testing and status.testing (the
// fast flow: Bodhi sends them when an update is created or its builds
// change).
func parseBodhi(m Message) (parsed, bool, error) {
	t := m.Topic
	var typ EventType
	switch {
	case strings.HasSuffix(t, "bodhi.update.complete.stable"):
		typ = EventBodhiUpdateStable
	case strings.HasSuffix(t, "bodhi.update.request.stable"):
		typ = EventBodhiUpdateRequestStable
	case strings.HasSuffix(t, "bodhi.update.request.testing"), strings.Contains(t, "bodhi.update.status.testing"):
		typ = EventBodhiUpdateCreated
	default:
		return parsed{}, false, nil
	}
	var body struct {
		Update *struct {
			Alias   string `json:"alias"`
			Release struct {
				Name string `json:"name"`
			} `json:"release"`
			Builds []struct {
				NVR string `json:"nvr"`
			} `json:"builds"`
		} `json:"update"`
	}
	if err := json.Unmarshal(m.Body, &body); err != nil {
		return parsed{}, false, fmt.Errorf("message %s (%s): %v", m.ID, t, err)
	}
	if body.Update == nil || body.Update.Alias == "" {
		return parsed{}, false, fmt.Errorf("message %s (%s): update.alias is required", m.ID, t)
	}
	u := &BodhiUpdate{Alias: body.Update.Alias, Release: body.Update.Release.Name}
	for _, b := range body.Update.Builds {
		if b.NVR != "" {
			u.Builds = append(u.Builds, b.NVR)
		}
	}
	slices.Sort(u.Builds)
	return parsed{typ: typ, update: u, key: u.Alias}, true, nil
}

// parseTask reads koji's task state changes; only finished buildContainer
// tasks are acted on.
func parseTask(m Message) (parsed, bool, error) {
	var body struct {
		ID     int64           `json:"id"`
		Method string          `json:"method"`
		New    json.RawMessage `json:"new"`
	}
	if err := json.Unmarshal(m.Body, &body); err != nil {
		return parsed{}, false, fmt.Errorf("message %s (%s): %v", m.ID, m.Topic, err)
	}
	if body.ID == 0 || len(body.New) == 0 {
		return parsed{}, false, fmt.Errorf("message %s (%s): id and new are required", m.ID, m.Topic)
	}
	state := ""
	var n int
	if json.Unmarshal(body.New, &n) == nil && n >= 0 && n < len(kojiTaskStates) {
		state = kojiTaskStates[n]
	} else {
		_ = json.Unmarshal(body.New, &state)
	}
	if body.Method != "buildContainer" || (state != "CLOSED" && state != "FAILED" && state != "CANCELED") {
		return parsed{}, false, nil
	}
	k := &KojiTask{ID: body.ID, Method: body.Method, State: state}
	return parsed{typ: EventKojiTaskStateChange, task: k, key: "task " + strconv.FormatInt(k.ID, 10)}, true, nil
}

// imagesDryRun reports whether events of type t are image events handled
// as a dry run because image builds are not enabled.
func (s *Service) imagesDryRun(t EventType) bool {
	switch t {
	case EventBodhiUpdateStable, EventBodhiUpdateCreated, EventBodhiUpdateRequestStable:
		return s.opts.Images == nil || !s.opts.Images.Build
	}
	return false
}

// ownsTask reports whether a task state change concerns an image rebuild
// this service submitted; others are not recorded.
func (s *Service) ownsTask(ctx context.Context, p parsed) (bool, error) {
	if p.task == nil {
		return true, nil
	}
	b, err := s.imageBuildByTask(ctx, p.task.ID)
	return b != nil, err
}

func (s *Service) imageBuildByTask(ctx context.Context, task int64) (*ArtifactBuild, error) {
	l, _, err := s.st.Builds(ctx, &BuildFilter{BuildID: task})
	if err != nil {
		return nil, err
	}
	for _, b := range l {
		if b.Type == ArtifactImage {
			return b, nil
		}
	}
	return nil, nil
}

// images handles the image events.
func (h *handling) images(ctx context.Context, p parsed) error {
	s := h.s
	io := s.opts.Images
	if p.typ == EventKojiTaskStateChange {
		return h.taskDone(ctx, p.task)
	}
	u := p.update
	switch {
	case p.typ == EventBodhiUpdateRequestStable:
		h.skip("update %s was requested stable; the slow flow rebuilds images when the stable push completes (bodhi.update.complete.stable)", u.Alias)
		return nil
	case io == nil || io.Source == nil:
		h.skip("container image rebuilds are not configured (Options.Images); %s recorded only", p.typ)
		return nil
	case len(u.Builds) == 0:
		h.skip("update %s lists no builds", u.Alias)
		return nil
	}
	handler, flow := HandlerImagesOnBodhiStable, "slow flow: the update was pushed stable"
	if p.typ == EventBodhiUpdateCreated {
		handler, flow = HandlerImagesOnBodhiTesting, "fast flow: the update is in testing"
		if io.Composer == nil && !h.ev.DryRun {
			h.skip("the fast flow needs a composer (Options.Images.Composer) for the compose of the update's builds")
			return nil
		}
	}
	origin := u.Alias + " [" + strings.Join(u.Builds, " ") + "]"
	// The fast flow gets several messages for one update (request.testing
	// and status.testing): builds of the same update already handled by an
	// earlier event are not rebuilt again.
	if earlier, err := s.handledBefore(ctx, h.ev, origin); err != nil || earlier != 0 {
		if err == nil {
			h.skip("update %s with these builds was already handled by event %d", u.Alias, earlier)
		}
		return err
	}
	plan, err := s.imagePlan(ctx, u)
	if err != nil {
		return err
	}
	if len(plan) == 0 {
		h.skip("no image's newest build contains an older version of a package of update %s", u.Alias)
		return nil
	}
	// The fast flow's compose of the update's builds, once per event.
	var repos []string
	if p.typ == EventBodhiUpdateCreated && !h.ev.DryRun {
		if repos, err = s.eventRepos(ctx, h.ev, u); err != nil {
			return err
		}
	}
	recorded := map[string]*ArtifactBuild{} // name:stream -> its decision
	for _, it := range plan {
		b, err := s.considerImage(ctx, h.ev, handler, flow, origin, it, recorded, repos)
		if err != nil {
			return err
		}
		recorded[it.img.Name+":"+it.img.Stream] = b
	}
	return h.finish(ctx)
}

// handledBefore returns an earlier event whose image builds came from the
// same update and builds.
func (s *Service) handledBefore(ctx context.Context, ev *Event, origin string) (int64, error) {
	evs, _, err := s.st.Events(ctx, &EventFilter{SearchKey: ev.SearchKey, Types: []EventType{ev.Type}})
	if err != nil {
		return 0, err
	}
	for _, e := range evs {
		if e.ID >= ev.ID {
			continue
		}
		bs, _, err := s.st.Builds(ctx, &BuildFilter{EventID: e.ID})
		if err != nil {
			return 0, err
		}
		for _, b := range bs {
			if b.Type == ArtifactImage && strings.HasPrefix(b.Path, origin+" -> ") {
				return e.ID, nil
			}
		}
	}
	return 0, nil
}

// planned is one image to rebuild.
type planned struct {
	img      *Image
	contains []string // "libfoo-1.0-1 (update: 1.0-2)"
	parent   string   // name:stream of the nearest ancestor being rebuilt
	depth    int
}

// imagePlan lists the images whose newest build (per name and stream)
// contains an older version of a package of the update, parents before
// their children.
func (s *Service) imagePlan(ctx context.Context, u *BodhiUpdate) ([]*planned, error) {
	src := s.opts.Images.Source
	all, err := src.Images(ctx)
	if err != nil {
		return nil, fmt.Errorf("list images: %w", err)
	}
	rpms, err := src.BuildRPMs(ctx, u.Builds)
	if err != nil {
		return nil, fmt.Errorf("RPMs of update %s: %w", u.Alias, err)
	}
	newest := map[string]ImageRPM{} // name -> the update's newest EVR
	for _, r := range rpms {
		if old, ok := newest[r.Name]; !ok || rpmver.CompareEVR(old.evr(), r.evr()) < 0 {
			newest[r.Name] = r
		}
	}
	byID := map[int64]*Image{}
	latest := map[string]*Image{}
	for _, img := range all {
		byID[img.BuildID] = img
		k := img.Name + ":" + img.Stream
		if old, ok := latest[k]; !ok || old.Completed.Before(img.Completed) || (old.Completed.Equal(img.Completed) && old.BuildID < img.BuildID) {
			latest[k] = img
		}
	}
	sel := map[string]*planned{}
	for k, img := range latest {
		var contains []string
		seen := map[string]bool{}
		for _, r := range img.RPMs {
			n, ok := newest[r.Name]
			if !ok || seen[r.String()] || rpmver.CompareEVR(r.evr(), n.evr()) >= 0 {
				continue
			}
			seen[r.String()] = true
			contains = append(contains, fmt.Sprintf("%s (update: %s)", r, strings.TrimPrefix(n.String(), n.Name+"-")))
		}
		if len(contains) > 0 {
			slices.Sort(contains)
			sel[k] = &planned{img: img, contains: contains}
		}
	}
	// The nearest ancestor being rebuilt, through the parent builds (older
	// builds of a parent count: the child is built FROM that name and
	// stream).
	for _, p := range sel {
		seen := map[int64]bool{}
		for id := p.img.ParentBuildID; id != 0 && !seen[id]; {
			seen[id] = true
			a := byID[id]
			if a == nil {
				break
			}
			if k := a.Name + ":" + a.Stream; sel[k] != nil && sel[k] != p {
				p.parent = k
				break
			}
			id = a.ParentBuildID
		}
	}
	var out []*planned
	for _, p := range sel {
		seen := map[string]bool{}
		for q := p; q.parent != "" && !seen[q.parent]; q = sel[q.parent] {
			seen[q.parent] = true
			p.depth++
		}
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b *planned) int {
		if a.depth != b.depth {
			return a.depth - b.depth
		}
		return strings.Compare(a.img.Name+":"+a.img.Stream, b.img.Name+":"+b.img.Stream)
	})
	return out, nil
}

// eventRepos returns the fast flow's compose for the event: recorded on an
// earlier (interrupted) handling of it, or requested now.
func (s *Service) eventRepos(ctx context.Context, ev *Event, u *BodhiUpdate) ([]string, error) {
	bs, _, err := s.st.Builds(ctx, &BuildFilter{EventID: ev.ID})
	if err != nil {
		return nil, err
	}
	for _, b := range bs {
		if req, err := s.imageArgs(ctx, b.ID); err == nil && req != nil && len(req.RepoURLs) > 0 {
			return req.RepoURLs, nil
		}
	}
	repo, err := s.opts.Images.Composer.ComposeBuilds(ctx, u.Builds)
	if err != nil {
		return nil, fmt.Errorf("compose of update %s: %w", u.Alias, err)
	}
	return []string{repo}, nil
}

// rebuiltRelease is the release of an image rebuild: the original
// release's first field and the decision time, so the rebuild of the same
// commit gets a new, higher NVR (Freshmaker's rule).
func rebuiltRelease(release string, t time.Time) string {
	first, _, _ := strings.Cut(release, ".")
	return first + "." + t.UTC().Format("20060102150405")
}

// considerImage decides, records and (unless it waits for its parent, or
// in dry run) submits the rebuild of one image.
func (s *Service) considerImage(ctx context.Context, ev *Event, handler, flow, origin string, it *planned, recorded map[string]*ArtifactBuild, repos []string) (*ArtifactBuild, error) {
	img := it.img
	var parent *ArtifactBuild
	if it.parent != "" {
		if pb := recorded[it.parent]; pb != nil && (pb.State == BuildPlanned || pb.State == BuildBuilding || pb.State == BuildDone) {
			parent = pb
		}
	}
	existing, err := s.existingImage(ctx, ev.ID, img.NVR)
	if err != nil || existing != nil {
		if err == nil && existing.State == BuildPlanned && !ev.DryRun && (parent == nil || existing.DepOnID == 0) {
			return existing, s.submitImage(ctx, existing, "", true)
		}
		return existing, err
	}
	now := s.now()
	release := rebuiltRelease(img.Release, now)
	ok, rule := s.opts.Rules.Decide(handler, ArtifactImage, map[string]string{"name": img.Name, "branch": img.Stream, "stream": img.Stream, "nvr": img.NVR})
	why := fmt.Sprintf("%s; it contains %s", flow, strings.Join(it.contains, ", "))
	b := &ArtifactBuild{EventID: ev.ID, Name: img.Name, Type: ArtifactImage, OriginalNVR: img.NVR,
		RebuiltNVR: img.Name + "-" + img.Version + "-" + release, RebuildReason: ReasonDirectlyAffected,
		Rule: rule, Path: origin + " -> " + img.Name + ":" + img.Stream, StateReason: why, TimeSubmitted: now}
	if parent != nil {
		b.DepOnID, b.DepOn, b.RebuildReason = parent.ID, parent.Name, ReasonDependency
		b.Path = parent.Path + " -> " + img.Name + ":" + img.Stream
	} else if it.parent != "" {
		why += fmt.Sprintf("; its parent %s is not rebuilt", it.parent)
		b.StateReason = why
	}
	req := &ContainerBuildRequest{Source: img.Source, Target: img.Target, Branch: img.Stream, Release: release, RepoURLs: repos}
	switch {
	case !ok:
		b.State, b.StateReason = BuildSkipped, rule
	case img.Source == "" || img.Target == "" || img.Stream == "":
		b.State, b.StateReason = BuildSkipped, fmt.Sprintf("image build %s has no known source, build target or git branch to rebuild from (its buildContainer task is unknown)", img.NVR)
	case ev.DryRun:
		what := fmt.Sprintf("build %s in %s (git_branch %s, release %s", req.Source, req.Target, req.Branch, req.Release)
		if parent != nil {
			what += ", FROM the rebuild of " + parent.Name
		}
		if ev.Type == EventBodhiUpdateCreated {
			what += ", with a compose of the update's builds"
		}
		b.State, b.StateReason, b.TimeCompleted = BuildDone, "dry run: would "+what+") because "+why, now
	default:
		b.State = BuildPlanned
	}
	if err := s.st.AddBuild(ctx, b); err != nil {
		return nil, err
	}
	if b.State == BuildPlanned || b.State == BuildDone {
		if err := s.setImageArgs(ctx, b.ID, req); err != nil {
			return nil, err
		}
	}
	s.log.Info("rebuilds: image decision", "event", ev.ID, "image", img.NVR, "state", b.State.String(), "reason", b.StateReason, "rule", b.Rule, "path", b.Path)
	if b.State == BuildPlanned && parent == nil {
		return b, s.submitImage(ctx, b, "", false)
	}
	return b, nil
}

func (s *Service) existingImage(ctx context.Context, eventID int64, nvr string) (*ArtifactBuild, error) {
	l, _, err := s.st.Builds(ctx, &BuildFilter{EventID: eventID})
	if err != nil {
		return nil, err
	}
	for _, b := range l {
		if b.Type == ArtifactImage && b.OriginalNVR == nvr {
			return b, nil
		}
	}
	return nil, nil
}

// submitImage submits a planned image rebuild (FROM parentNVR, if set).
// When resuming after a restart, a build the builder already has for the
// same request is adopted instead of submitted again.
func (s *Service) submitImage(ctx context.Context, b *ArtifactBuild, parentNVR string, resume bool) error {
	io := s.opts.Images
	req, err := s.imageArgs(ctx, b.ID)
	if err != nil {
		return err
	}
	if req == nil {
		return fmt.Errorf("rebuild %d (%s): its build arguments were not recorded", b.ID, b.Name)
	}
	if parentNVR != "" {
		req.ParentBuild = parentNVR
		if err := s.setImageArgs(ctx, b.ID, req); err != nil {
			return err
		}
	}
	if io == nil || io.Builder == nil {
		b.State, b.StateReason, b.TimeCompleted = BuildFailed, "no image builder configured (Options.Images.Builder)", s.now()
		return s.st.UpdateBuild(ctx, b)
	}
	var id int64
	if f, ok := io.Builder.(ImageBuildFinder); ok && resume {
		found, ok, err := f.FindContainerBuild(ctx, req, b.TimeSubmitted.Add(-time.Second))
		if err != nil {
			return err
		}
		if ok {
			s.log.Info("rebuilds: adopting an image rebuild submitted before a restart", "build", b.ID, "task", found)
			id = found
		}
	}
	if id == 0 {
		if id, err = io.Builder.BuildContainer(ctx, req); err != nil {
			if ctx.Err() != nil {
				return err
			}
			b.State, b.StateReason, b.TimeCompleted = BuildFailed, "submit failed: "+err.Error(), s.now()
			return s.st.UpdateBuild(ctx, b)
		}
	}
	b.State, b.BuildID = BuildBuilding, id
	return s.st.UpdateBuild(ctx, b)
}

// taskDone: a submitted image rebuild's task finished.
func (h *handling) taskDone(ctx context.Context, t *KojiTask) error {
	b, err := h.s.imageBuildByTask(ctx, t.ID)
	if err != nil {
		return err
	}
	if b == nil {
		h.skip("task %d is not an image rebuild", t.ID)
		return nil
	}
	st := &ContainerBuildStatus{Finished: true, Failed: t.State != "CLOSED", Reason: "task " + t.State}
	if !st.Failed {
		if io := h.s.opts.Images; io != nil && io.Builder != nil {
			if st, err = io.Builder.ContainerBuild(ctx, t.ID); err != nil {
				return err
			}
		}
	}
	if err := h.s.imageFinished(ctx, b, st); err != nil {
		return err
	}
	h.state, h.reason = EventComplete, fmt.Sprintf("image rebuild %d (%s) of event %d: %s", b.ID, b.Name, b.EventID, b.State)
	return nil
}

// imageFinished records a finished image rebuild and submits the rebuilds
// waiting for it (or fails them if it failed).
func (s *Service) imageFinished(ctx context.Context, b *ArtifactBuild, st *ContainerBuildStatus) error {
	if b.State == BuildBuilding && st.Finished {
		b.TimeCompleted = s.now()
		if st.Failed {
			b.State, b.StateReason = BuildFailed, "image build failed: "+st.Reason
		} else {
			b.State, b.StateReason = BuildDone, "image built as "+st.NVR
			if st.NVR != "" {
				b.RebuiltNVR = st.NVR
			}
		}
		if err := s.st.UpdateBuild(ctx, b); err != nil {
			return err
		}
	}
	if b.State == BuildDone || b.State == BuildFailed {
		children, _, err := s.st.Builds(ctx, &BuildFilter{EventID: b.EventID, DepOnID: b.ID, States: []BuildState{BuildPlanned}})
		if err != nil {
			return err
		}
		for _, c := range children {
			if b.State == BuildFailed {
				c.State, c.StateReason, c.TimeCompleted = BuildFailed, fmt.Sprintf("parent image rebuild %d (%s) failed", b.ID, b.Name), s.now()
				if err := s.st.UpdateBuild(ctx, c); err != nil {
					return err
				}
				if err := s.imageFinished(ctx, c, &ContainerBuildStatus{}); err != nil {
					return err
				}
				continue
			}
			if err := s.submitImage(ctx, c, b.RebuiltNVR, true); err != nil {
				return err
			}
		}
	}
	return s.settle(ctx, b.EventID)
}

// PollImages asks the image builder about every image rebuild still
// building and handles those that finished, as their task messages would:
// it recovers from lost bus messages. A server calls it periodically.
func (s *Service) PollImages(ctx context.Context) error {
	io := s.opts.Images
	if io == nil || io.Builder == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l, _, err := s.st.Builds(ctx, &BuildFilter{States: []BuildState{BuildBuilding}})
	if err != nil {
		return err
	}
	var errs []error
	for _, b := range l {
		if b.Type != ArtifactImage {
			continue
		}
		st, err := io.Builder.ContainerBuild(ctx, b.BuildID)
		if err != nil {
			errs = append(errs, fmt.Errorf("image rebuild %d (task %d): %w", b.ID, b.BuildID, err))
			continue
		}
		if st.Finished {
			if err := s.imageFinished(ctx, b, st); err != nil {
				errs = append(errs, err)
			}
		}
	}
	// Planned rebuilds whose parent finished while this service was down.
	pl, _, err := s.st.Builds(ctx, &BuildFilter{States: []BuildState{BuildPlanned}})
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	for _, b := range pl {
		if b.Type != ArtifactImage || b.DepOnID == 0 {
			continue
		}
		ps, _, err := s.st.Builds(ctx, &BuildFilter{ID: b.DepOnID})
		if err != nil || len(ps) == 0 {
			continue
		}
		if ps[0].State == BuildDone || ps[0].State == BuildFailed {
			if err := s.imageFinished(ctx, ps[0], &ContainerBuildStatus{}); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}
