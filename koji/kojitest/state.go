package kojitest

import (
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/modkit/modkit/internal/xmlrpcx"
)

type user struct {
	id       int64
	name     string
	password string
	usertype int64
	perms    map[string]bool
}

type session struct {
	id          int64
	key         string
	userID      int64
	authtype    int64
	expired     bool
	closed      bool
	lastCallnum *int64
}

type tag struct {
	id              int64
	name            string
	arches          string
	locked          bool
	perm            string
	mavenSupport    bool
	mavenIncludeAll bool
	extra           map[string]any
	deleted         bool
	createEvent     int64
}

// tagConfig is one version of a tag's configuration (koji's tag_config
// table: arches, lock, permission, maven flags), for queryHistory.
type tagConfig struct {
	tagID           int64
	arches          string
	locked          bool
	perm            string
	mavenSupport    bool
	mavenIncludeAll bool
	createEvent     int64
	creator         int64
	revokeEvent     *int64
	revoker         int64
}

type link struct {
	childID      int64
	parentID     int64
	priority     int64
	maxdepth     *int64
	intransitive bool
	noconfig     bool
	pkgFilter    string
	createEvent  int64
	revokeEvent  *int64
	creator      int64
	revoker      int64
}

type target struct {
	id       int64
	name     string
	buildTag int64
	destTag  int64
	deleted  bool
}

type pkgEntry struct {
	tagID, pkgID int64
	owner        int64
	blocked      bool
	extraArches  any
	createEvent  int64
	revokeEvent  *int64
	creator      int64
}

type group struct {
	id          int64
	name        string
	tagID       int64
	displayName string
	description any
	blocked     bool
	packages    []*groupPkg
}

type groupPkg struct {
	name    string
	typ     string
	blocked bool
}

type build struct {
	id          int64
	pkgID       int64
	name        string
	version     string
	release     string
	epoch       *int64
	state       int64
	taskID      *int64
	owner       int64
	source      any
	start       time.Time
	completion  *time.Time
	creation    time.Time
	createEvent int64
	cgID        *int64
	extra       any
	btypes      map[string]any
	token       string
}

func (b *build) nvr() string { return b.name + "-" + b.version + "-" + b.release }

type rpm struct {
	id          int64
	buildID     int64
	name        string
	version     string
	release     string
	epoch       *int64
	arch        string
	payloadhash string
	size        int64
	buildtime   int64
	buildrootID *int64
}

type archive struct {
	id           int64
	buildID      int64
	filename     string
	size         int64
	checksum     string
	checksumType int64
	btype        string
	arch         string // image archives (image_archives.arch)
	extra        any
	components   []int64 // rpm ids
}

type listing struct {
	tagID, buildID int64
	createEvent    int64
	revokeEvent    *int64
	creator        int64
	revoker        int64
}

type task struct {
	id         int64
	method     string
	state      int64
	owner      int64
	parent     *int64
	priority   int64
	arch       string
	label      any
	request    []any
	result     any
	fault      *xmlrpcx.Fault
	create     time.Time
	start      *time.Time
	completion *time.Time
}

type repo struct {
	id          int64
	tagID       int64
	state       int64
	createEvent int64
	create      time.Time
	taskID      *int64
}

type event struct {
	id int64
	ts time.Time
}

// Call is one request the hub answered, for assertions in tests.
type Call struct {
	Method    string
	SessionID int64 // 0 for anonymous
	Callnum   int64 // NoCallnum when the request carried none the hub reads
	FaultCode int   // 0 for success
}

type state struct {
	now     func() time.Time
	ids     map[string]int64
	events  []event
	offline bool
	calls   []Call

	users      map[int64]*user
	sessions   map[int64]*session
	permNames  []string
	tags       map[int64]*tag
	tagConfigs []*tagConfig
	links      []*link
	targets    map[int64]*target
	packages   map[int64]string
	pkgEntries []*pkgEntry
	groups     []*group
	builds     map[int64]*build
	rpms       map[int64]*rpm
	archives   map[int64]*archive
	listings   []*listing
	tasks      map[int64]*task
	repos      map[int64]*repo
	btypes     []string
	cgs        map[string]map[int64]bool
	cgOrder    []string
	uploads    map[string][]byte
	rpmFiles   map[int64][]byte // imported RPM files by rpm id
	rpmSigs    []*rpmSig
	permGrants []map[string]any // user_perms history rows
	tagChange  map[int64]int64  // tag id → last content-change event
}

func newState(now func() time.Time) *state {
	st := &state{
		now: now, ids: map[string]int64{},
		users: map[int64]*user{}, sessions: map[int64]*session{}, tags: map[int64]*tag{},
		targets: map[int64]*target{}, packages: map[int64]string{}, builds: map[int64]*build{},
		rpms: map[int64]*rpm{}, archives: map[int64]*archive{}, tasks: map[int64]*task{},
		repos: map[int64]*repo{}, cgs: map[string]map[int64]bool{}, uploads: map[string][]byte{},
		rpmFiles: map[int64][]byte{}, tagChange: map[int64]int64{},
		permNames: []string{"admin", "appliance", "dist-repo", "host", "image", "image-import", "livecd",
			"maven-import", "repo", "sign", "tag", "target", "win-admin", "win-import", "draft-promoter"},
		btypes: []string{"rpm", "maven", "win", "image"},
	}
	st.newEvent()
	admin := &user{id: st.nextID("user"), name: AdminUser, password: AdminPassword, perms: map[string]bool{"admin": true}}
	st.users[admin.id] = admin
	return st
}

func (st *state) nextID(kind string) int64 {
	st.ids[kind]++
	return st.ids[kind]
}

func (st *state) newEvent() int64 {
	id := st.nextID("event")
	st.events = append(st.events, event{id: id, ts: st.now()})
	return id
}

func (st *state) eventTime(id int64) time.Time {
	for _, e := range st.events {
		if e.id == id {
			return e.ts
		}
	}
	return time.Time{}
}

func (st *state) log(method string, s *session, callnum int64, f *xmlrpcx.Fault) {
	c := Call{Method: method, Callnum: callnum}
	if s != nil {
		c.SessionID = s.id
	}
	if f != nil {
		c.FaultCode = f.Code
	}
	st.calls = append(st.calls, c)
}

func (st *state) userByName(name string) *user {
	for _, u := range st.users {
		if u.name == name {
			return u
		}
	}
	return nil
}

func (st *state) lookupUser(ref any) *user {
	switch v := ref.(type) {
	case int64:
		return st.users[v]
	case string:
		return st.userByName(v)
	}
	return nil
}

func (st *state) lookupTag(ref any) *tag {
	switch v := ref.(type) {
	case int64:
		if t := st.tags[v]; t != nil && !t.deleted {
			return t
		}
	case string:
		for _, t := range st.tags {
			if t.name == v && !t.deleted {
				return t
			}
		}
	case map[string]any:
		if id, ok := v["id"]; ok {
			return st.lookupTag(id)
		}
		return st.lookupTag(v["name"])
	}
	return nil
}

func (st *state) getTagStrict(ref any) (*tag, *xmlrpcx.Fault) {
	t := st.lookupTag(ref)
	if t == nil {
		return nil, fault(1000, "No such tagInfo: %s", pyRepr(ref))
	}
	return t, nil
}

func (st *state) getBuildStrict(ref any) (*build, *xmlrpcx.Fault) {
	b, f := st.lookupBuild(ref)
	if f == nil && b == nil {
		f = fault(1000, "No such build: %s", pyRepr(ref))
	}
	return b, f
}

func (st *state) pkgID(name string) int64 {
	for id, n := range st.packages {
		if n == name {
			return id
		}
	}
	return 0
}

func (st *state) ensurePkg(name string) int64 {
	if id := st.pkgID(name); id != 0 {
		return id
	}
	id := st.nextID("package")
	st.packages[id] = name
	return id
}

func (st *state) lookupBuild(ref any) (*build, *xmlrpcx.Fault) {
	switch v := ref.(type) {
	case int64:
		return st.builds[v], nil
	case string:
		n, ver, rel, ok := splitNVR(v)
		if !ok {
			return nil, fault(1000, "invalid format: %s", v)
		}
		return st.buildByNVR(n, ver, rel), nil
	case map[string]any:
		if id, ok := v["id"].(int64); ok {
			return st.builds[id], nil
		}
		n, _ := v["name"].(string)
		ver, _ := v["version"].(string)
		rel, _ := v["release"].(string)
		return st.buildByNVR(n, ver, rel), nil
	}
	return nil, fault(1000, "Invalid type for buildInfo: %s", pyRepr(ref))
}

func (st *state) buildByNVR(n, v, r string) *build {
	for _, b := range st.builds {
		if b.name == n && b.version == v && b.release == r {
			return b
		}
	}
	return nil
}

// splitNVR splits name-version-release at the last two dashes.
func splitNVR(s string) (n, v, r string, ok bool) {
	i := lastIndex(s, '-')
	if i <= 0 {
		return "", "", "", false
	}
	j := lastIndex(s[:i], '-')
	if j <= 0 {
		return "", "", "", false
	}
	return s[:j], s[j+1 : i], s[i+1:], true
}

func lastIndex(s string, c byte) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == c {
			return i
		}
	}
	return -1
}

// activeLinks returns the current parent links of a tag by priority.
func (st *state) activeLinks(child int64, ev int64) []*link {
	var out []*link
	for _, l := range st.links {
		if l.childID == child && alive(l.createEvent, l.revokeEvent, ev) {
			out = append(out, l)
		}
	}
	slices.SortFunc(out, func(a, b *link) int { return int(a.priority - b.priority) })
	return out
}

func alive(create int64, revoke *int64, ev int64) bool {
	if ev == 0 {
		return revoke == nil
	}
	return create <= ev && (revoke == nil || *revoke > ev)
}

type fullLink struct {
	*link
	currdepth int64
	nextdepth *int64
	filter    []string
}

// descendantLinks are the active links whose parent is tag, by priority.
func (st *state) descendantLinks(parent int64, ev int64) []*link {
	var out []*link
	for _, l := range st.links {
		if l.parentID == parent && alive(l.createEvent, l.revokeEvent, ev) {
			out = append(out, l)
		}
	}
	slices.SortFunc(out, func(a, b *link) int {
		if a.priority != b.priority {
			return int(a.priority - b.priority)
		}
		return int(a.childID - b.childID)
	})
	return out
}

// fullInheritance is kojihub's readFullInheritance: a tag's ancestors (or,
// with reverse, its descendants) depth first in priority order. A tag can
// appear more than once when a later path reaches it with a deeper depth
// budget, without noconfig, or with package filters before. nextdepth is
// how many more levels the link allows below it (nil = unlimited; always
// nil in reverse).
func (st *state) fullInheritance(tagID int64, ev int64, reverse bool) []fullLink {
	var order []fullLink
	hist := map[int64][]fullLink{}
	var recurse func(id int64, top map[int64]bool, currdepth int64, maxdepth *int64, noconfig bool, pfilter []string)
	recurse = func(id int64, top map[int64]bool, currdepth int64, maxdepth *int64, noconfig bool, pfilter []string) {
		if maxdepth != nil && *maxdepth < 1 {
			return
		}
		currdepth++
		top = maps.Clone(top)
		top[id] = true
		node := st.activeLinks(id, ev)
		if reverse {
			node = st.descendantLinks(id, ev)
		}
		for _, l := range node {
			next := l.parentID
			if reverse {
				next = l.childID
			}
			if top[next] { // a loop: pruned
				continue
			}
			if l.intransitive && len(top) > 1 && !reverse {
				continue // intransitive links count only at the root
			}
			var nextdepth *int64
			if reverse {
				if l.maxdepth != nil && *l.maxdepth < currdepth-1 {
					continue
				}
			} else {
				switch {
				case l.maxdepth == nil && maxdepth != nil:
					v := *maxdepth - 1
					nextdepth = &v
				case l.maxdepth != nil && maxdepth != nil:
					v := min(*l.maxdepth, *maxdepth) - 1
					nextdepth = &v
				case l.maxdepth != nil:
					v := *l.maxdepth
					nextdepth = &v
				}
			}
			if l.noconfig {
				noconfig = true // as in koji, this carries over to later siblings
			}
			filter := slices.Clone(pfilter)
			if l.pkgFilter != "" {
				filter = append(filter, l.pkgFilter)
			}
			if filter == nil {
				filter = []string{}
			}
			if prev, ok := hist[next]; ok {
				rescan := true
				for _, p := range prev {
					sufficient := true
					if nextdepth == nil {
						sufficient = p.nextdepth == nil
					} else if p.nextdepth != nil && *p.nextdepth < *nextdepth {
						sufficient = false
					}
					if p.noconfig && !noconfig {
						sufficient = false
					}
					if len(p.filter) > 0 {
						sufficient = false
					}
					if sufficient {
						rescan = false
					}
				}
				if !rescan {
					continue
				}
			}
			fl := fullLink{link: l, currdepth: currdepth, nextdepth: nextdepth, filter: filter}
			hist[next] = append(hist[next], fl)
			order = append(order, fl)
			if l.intransitive && reverse {
				continue // listed, not followed
			}
			recurse(next, top, currdepth, nextdepth, noconfig, filter)
		}
	}
	recurse(tagID, map[int64]bool{}, 0, nil, false, nil)
	return order
}

// tagChain is the tag followed by its ancestors.
func (st *state) tagChain(tagID int64, inherit bool, ev int64) []int64 {
	chain := []int64{tagID}
	if inherit {
		for _, fl := range st.fullInheritance(tagID, ev, false) {
			if !slices.Contains(chain, fl.parentID) {
				chain = append(chain, fl.parentID)
			}
		}
	}
	return chain
}

func (st *state) touchTag(id, ev int64) { st.tagChange[id] = ev }

// pkgListed reports whether pkg is listed and not blocked in the tag or,
// by inheritance, its parents.
func (st *state) pkgListed(tagID, pkgID int64) bool {
	for _, t := range st.tagChain(tagID, true, 0) {
		for _, e := range st.pkgEntries {
			if e.tagID == t && e.pkgID == pkgID && e.revokeEvent == nil {
				return !e.blocked
			}
		}
	}
	return false
}

func (st *state) activeListing(tagID, buildID int64) *listing {
	for _, l := range st.listings {
		if l.tagID == tagID && l.buildID == buildID && l.revokeEvent == nil {
			return l
		}
	}
	return nil
}

func sortedIDs[V any](m map[int64]V) []int64 { return slices.Sorted(maps.Keys(m)) }

// pyTime formats like Python's datetime.isoformat(' ') with a UTC zone.
func pyTime(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond()/1000 == 0 {
		return t.Format("2006-01-02 15:04:05") + "+00:00"
	}
	return t.Format("2006-01-02 15:04:05.000000") + "+00:00"
}

func pyTS(t time.Time) float64 { return float64(t.UnixMicro()) / 1e6 }

func itoa(i int64) string { return strconv.FormatInt(i, 10) }
