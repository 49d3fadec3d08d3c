package bodhitest

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/modkit/modkit/bodhi"
)

// comment records a comment (author nil: Bodhi's own "bodhi" user).
func (s *Server) comment(u *update, author *user, text string, karma int, now bodhi.Time) bodhi.Comment {
	if author == nil {
		author = s.bodhiUser()
	}
	s.nextID++
	c := &bodhi.Comment{ID: s.nextID, UpdateID: u.id, Text: text, Karma: karma, Timestamp: now, UserID: author.id, User: author.json(),
		BugFeedback: []bodhi.BugFeedback{}, TestCaseFeedback: []bodhi.TestCaseFeedback{}}
	s.comments = append(s.comments, c)
	return *c
}

func (s *Server) addComment(rc *reqCtx) (any, *apiError) {
	b := rc.body
	u := s.update(str(b, "update"))
	if u == nil {
		return nil, fail(404, "body", "update", "Invalid update")
	}
	text := str(b, "text")
	karma, ok := intField(b, "karma", 0)
	if !ok || karma < -1 || karma > 1 {
		return nil, fail(400, "body", "karma", strconv.Itoa(karma)+" is not in range")
	}
	if text == "" && karma == 0 {
		return nil, fail(400, "body", "comment", "You must provide either some text or feedback")
	}
	now := bodhi.Time{Time: s.Now().UTC().Truncate(0)}
	if karma != 0 && rc.user.name == u.user.name {
		karma = 0 // Bodhi ignores karma on one's own update
	}
	c := s.comment(u, rc.user, text, karma, now)
	u.Comments = append(u.Comments, c)
	u.Karma = 0
	last := map[string]int{}
	for _, cm := range u.Comments {
		if cm.User != nil && cm.Karma != 0 {
			last[cm.User.Name] = cm.Karma
		}
	}
	for _, k := range last {
		u.Karma += k
	}
	// autokarma
	if u.Autokarma && u.StableKarma != nil && u.Karma >= *u.StableKarma && u.Status == bodhi.StatusTesting && u.Request == nil {
		u.Request = ptr(bodhi.RequestStable)
	}
	if u.Autokarma && u.UnstableKarma != nil && u.Karma <= *u.UnstableKarma && u.Status == bodhi.StatusTesting {
		u.Status, u.Request = bodhi.StatusUnpushed, nil
	}
	if u.Karma < 0 {
		u.Autotime = false
	}
	return map[string]any{"comment": s.commentJSON(c), "caveats": []bodhi.Caveat{}}, nil
}

func (s *Server) getComment(id string) (any, *apiError) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return nil, fail(400, "url", "id", "Comment id must be an int")
	}
	for _, c := range s.comments {
		if c.ID == n {
			return map[string]any{"comment": s.commentJSON(*c)}, nil
		}
	}
	return nil, fail(404, "url", "id", "Invalid comment id")
}

func (s *Server) listComments(r *http.Request) (any, *apiError) {
	q := r.URL.Query()
	var out []bodhi.Comment
	for i := len(s.comments) - 1; i >= 0; i-- {
		c := s.comments[i]
		if us := q["updates"]; len(us) > 0 {
			found := false
			for _, a := range us {
				if u := s.update(a); u != nil {
					for _, uc := range u.Comments {
						found = found || uc.ID == c.ID
					}
				}
			}
			if !found {
				continue
			}
		}
		if us := q["user"]; len(us) > 0 && (c.User == nil || !contains(us, c.User.Name)) {
			continue
		}
		out = append(out, *c)
	}
	js := make([]map[string]any, len(out))
	for i, c := range out {
		js[i] = s.commentJSON(c)
	}
	return pageOf(r, "comments", js)
}

// toMap turns a value into its JSON object form.
func toMap(v any) map[string]any {
	data, _ := json.Marshal(v)
	m := map[string]any{}
	json.Unmarshal(data, &m)
	return m
}

// bodhiUser is Bodhi's own user, the author of automatic comments.
func (s *Server) bodhiUser() *user {
	if u := s.users["bodhi"]; u != nil {
		return u
	}
	s.nextID++
	u := &user{id: s.nextID, name: "bodhi"}
	s.users["bodhi"] = u
	return u
}

// commentJSON is a comment as Bodhi's comment services show it: with its
// author's name, its update's alias and the update without its comments,
// bugs and test cases.
func (s *Server) commentJSON(c bodhi.Comment) map[string]any {
	m := toMap(c)
	if c.User != nil {
		m["author"] = c.User.Name
	}
	for _, u := range s.updates {
		if u.id == c.UpdateID {
			m["update_alias"] = u.Alias
			um := toMap(u.json())
			for _, k := range []string{"bugs", "comments", "content_type", "updateid", "test_cases"} {
				delete(um, k)
			}
			m["update"] = um
		}
	}
	return m
}
