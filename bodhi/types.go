package bodhi

import "encoding/json"

// Content types of builds, packages and updates.
const (
	ContentRPM       = "rpm"
	ContentModule    = "module"
	ContentContainer = "container"
	ContentFlatpak   = "flatpak"
)

// Update requests ([Client.Request]).
const (
	RequestTesting  = "testing"
	RequestStable   = "stable"
	RequestUnpush   = "unpush"
	RequestRevoke   = "revoke"
	RequestObsolete = "obsolete"
)

// Update statuses.
const (
	StatusPending        = "pending"
	StatusTesting        = "testing"
	StatusStable         = "stable"
	StatusUnpushed       = "unpushed"
	StatusObsolete       = "obsolete"
	StatusSideTagActive  = "side_tag_active"
	StatusSideTagExpired = "side_tag_expired"
)

// Release is a Bodhi release: one per Fedora version and content flavour
// (F27, F27M for modules, F27C for containers).
type Release struct {
	Name                   string  `json:"name"`
	LongName               string  `json:"long_name"`
	Version                string  `json:"version"`
	IDPrefix               string  `json:"id_prefix"`
	Branch                 string  `json:"branch"`
	DistTag                string  `json:"dist_tag"`
	StableTag              string  `json:"stable_tag"`
	TestingTag             string  `json:"testing_tag"`
	CandidateTag           string  `json:"candidate_tag"`
	PendingSigningTag      string  `json:"pending_signing_tag"`
	PendingTestingTag      string  `json:"pending_testing_tag"`
	PendingStableTag       string  `json:"pending_stable_tag"`
	OverrideTag            string  `json:"override_tag"`
	MailTemplate           string  `json:"mail_template"`
	State                  string  `json:"state"`
	ComposedByBodhi        bool    `json:"composed_by_bodhi"`
	CreateAutomaticUpdates bool    `json:"create_automatic_updates"`
	PackageManager         string  `json:"package_manager"`
	TestingRepository      *string `json:"testing_repository"`
	ReleasedOn             *string `json:"released_on"` // a date, "2006-01-02"
	EOL                    *string `json:"eol"`         // a date
	SettingStatus          *string `json:"setting_status"`
}

// User is a Bodhi user.
type User struct {
	ID     int64   `json:"id"`
	Name   string  `json:"name"`
	Email  *string `json:"email,omitempty"`
	Avatar *string `json:"avatar,omitempty"`
	OpenID *string `json:"openid,omitempty"`
	Groups []Group `json:"groups"`
}

// Group is a user group (packager, provenpackager, ...).
type Group struct {
	Name string `json:"name"`
}

// Build is a koji build known to Bodhi.
type Build struct {
	NVR       string     `json:"nvr"`
	Epoch     *int       `json:"epoch,omitempty"` // rpm builds only
	Signed    bool       `json:"signed"`
	Type      string     `json:"type"` // content type
	ReleaseID *int64     `json:"release_id"`
	TestCases []TestCase `json:"testcases,omitempty"`
}

// TestCase is a wiki test case attached to a package.
type TestCase struct {
	Name string `json:"name"`
}

// Bug is a bug an update fixes.
type Bug struct {
	BugID    int64         `json:"bug_id"`
	Title    *string       `json:"title"`
	Security bool          `json:"security"`
	Parent   bool          `json:"parent"`
	Feedback []BugFeedback `json:"feedback,omitempty"`
}

// BugFeedback is karma on one bug of an update.
type BugFeedback struct {
	BugID int64 `json:"bug_id"`
	Karma int   `json:"karma"`
}

// TestCaseFeedback is karma on one test case of an update.
type TestCaseFeedback struct {
	TestCaseName string `json:"testcase_name"`
	Karma        int    `json:"karma"`
}

// Comment is a comment on an update, possibly with karma.
type Comment struct {
	ID               int64              `json:"id"`
	Text             string             `json:"text"`
	Karma            int                `json:"karma"`
	KarmaCritpath    int                `json:"karma_critpath"`
	Timestamp        Time               `json:"timestamp"`
	UpdateID         int64              `json:"update_id"`
	UserID           int64              `json:"user_id"`
	User             *User              `json:"user"`
	BugFeedback      []BugFeedback      `json:"bug_feedback"`
	TestCaseFeedback []TestCaseFeedback `json:"testcase_feedback"`
	Author           string             `json:"author,omitempty"`
	UpdateAlias      string             `json:"update_alias,omitempty"`
	Update           *Update            `json:"update,omitempty"` // without its comments, bugs and builds' details
}

// Update is a Bodhi update: builds of one release and one content type.
type Update struct {
	Alias       string  `json:"alias"`
	UpdateID    string  `json:"updateid"` // legacy mirror of Alias
	Title       string  `json:"title"`
	DisplayName string  `json:"display_name"`
	Notes       string  `json:"notes"`
	Type        string  `json:"type"`
	Severity    string  `json:"severity"`
	Suggest     string  `json:"suggest"`
	Status      string  `json:"status"`
	Request     *string `json:"request"`
	ContentType *string `json:"content_type"`

	Locked                   bool    `json:"locked"`
	Pushed                   bool    `json:"pushed"`
	Critpath                 bool    `json:"critpath"`
	CritpathGroups           *string `json:"critpath_groups"`
	CloseBugs                bool    `json:"close_bugs"`
	Autokarma                bool    `json:"autokarma"`
	Autotime                 bool    `json:"autotime"`
	StableKarma              *int    `json:"stable_karma"`
	UnstableKarma            *int    `json:"unstable_karma"`
	StableDays               *int    `json:"stable_days"`
	RequireBugs              bool    `json:"require_bugs"`
	RequireTestcases         bool    `json:"require_testcases"`
	Karma                    int     `json:"karma"`
	MeetsTestingRequirements bool    `json:"meets_testing_requirements"`
	TestGatingStatus         *string `json:"test_gating_status"`
	FromTag                  *string `json:"from_tag"`
	Requirements             *string `json:"requirements,omitempty"`
	VersionHash              string  `json:"version_hash"`
	URL                      string  `json:"url"`

	DateSubmitted Time `json:"date_submitted"`
	DateModified  Time `json:"date_modified"`
	DateApproved  Time `json:"date_approved"`
	DateTesting   Time `json:"date_testing"`
	DateStable    Time `json:"date_stable"`
	DatePushed    Time `json:"date_pushed"`

	Release   *Release   `json:"release"`
	Builds    []Build    `json:"builds"`
	Bugs      []Bug      `json:"bugs"`
	Comments  []Comment  `json:"comments"`
	User      *User      `json:"user"`
	TestCases []TestCase `json:"test_cases"`
}

// RequestOrEmpty returns the pending request, or "".
func (u *Update) RequestOrEmpty() string {
	if u.Request == nil {
		return ""
	}
	return *u.Request
}

// Caveat is a warning Bodhi attaches to a successful write.
type Caveat struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

// Override is a buildroot override: a build put into the release's
// buildroot ahead of its update.
type Override struct {
	NVR            string `json:"nvr"`
	Notes          string `json:"notes"`
	SubmissionDate Time   `json:"submission_date"`
	ExpirationDate Time   `json:"expiration_date"`
	ExpiredDate    Time   `json:"expired_date"`
	Submitter      *User  `json:"submitter"`
	Build          *Build `json:"build"`
	BuildID        int64  `json:"build_id"`
	SubmitterID    int64  `json:"submitter_id"`
}

// Compose is Bodhi's record of a running or failed compose of one release
// and request.
type Compose struct {
	ReleaseID     int64           `json:"release_id"`
	Request       string          `json:"request"`
	State         string          `json:"state"`
	StateDate     Time            `json:"state_date"`
	DateCreated   Time            `json:"date_created"`
	ErrorMessage  *string         `json:"error_message"`
	Checkpoints   string          `json:"checkpoints"`
	ContentType   *string         `json:"content_type"`
	Security      bool            `json:"security"`
	Release       *Release        `json:"release"`
	UpdateSummary []UpdateSummary `json:"update_summary"`
}

// UpdateSummary names an update in a compose.
type UpdateSummary struct {
	Alias string `json:"alias"`
	Title string `json:"title"`
}

// Package is a package (modules: "name:stream") known to Bodhi.
type Package struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// TestResults is the answer of GET /updates/{alias}/get-test-results: the
// Greenwave decisions, kept raw because their shape is Greenwave's.
type TestResults struct {
	Decisions []json.RawMessage `json:"decisions"`
	Decision  json.RawMessage   `json:"decision,omitempty"`
}
