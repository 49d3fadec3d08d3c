package koji

import (
	"context"
	"time"
)

// HistoryEntry is one row of queryHistory: a change to one of the hub's
// versioned tables. Fields holds the whole row, including the table's own
// columns and joined names such as "tag.name".
type HistoryEntry struct {
	CreateEvent int64          `xmlrpc:"create_event"`
	CreateTime  time.Time      `xmlrpc:"create_ts"`
	CreatorName string         `xmlrpc:"creator_name"`
	RevokeEvent *int64         `xmlrpc:"revoke_event"`
	RevokeTime  time.Time      `xmlrpc:"revoke_ts"`
	RevokerName string         `xmlrpc:"revoker_name"`
	Active      bool           `xmlrpc:"active"`
	Fields      map[string]any `xmlrpc:"-"`
}

// QueryHistoryOptions filter QueryHistory.
type QueryHistoryOptions struct {
	Tables      []string // e.g. "tag_listing", "tag_inheritance"; nil = all
	Tag         Ref
	Build       Ref
	Package     Ref
	User        Ref
	BeforeEvent int64
	AfterEvent  int64
	Before      time.Time
	After       time.Time
	Active      *bool
}

// QueryHistory returns history rows keyed by table name.
func (c *Client) QueryHistory(ctx context.Context, opts *QueryHistoryOptions) (map[string][]HistoryEntry, error) {
	k := Kwargs{}
	if opts != nil {
		setIf(k, opts.Tables != nil, "tables", opts.Tables)
		setIf(k, !opts.Tag.IsZero(), "tag", opts.Tag)
		setIf(k, !opts.Build.IsZero(), "build", opts.Build)
		setIf(k, !opts.Package.IsZero(), "package", opts.Package)
		setIf(k, !opts.User.IsZero(), "user", opts.User)
		setIf(k, opts.BeforeEvent != 0, "beforeEvent", opts.BeforeEvent)
		setIf(k, opts.AfterEvent != 0, "afterEvent", opts.AfterEvent)
		setIf(k, !opts.Before.IsZero(), "before", opts.Before)
		setIf(k, !opts.After.IsZero(), "after", opts.After)
		if opts.Active != nil {
			k["active"] = *opts.Active
		}
	}
	var raw map[string][]map[string]any
	if err := c.call(ctx, "queryHistory", &raw, nil, k); err != nil {
		return nil, err
	}
	out := make(map[string][]HistoryEntry, len(raw))
	for table, rows := range raw {
		entries := make([]HistoryEntry, len(rows))
		for i, row := range rows {
			if err := unmarshal("queryHistory", row, &entries[i]); err != nil {
				return nil, err
			}
			entries[i].Fields = row
		}
		out[table] = entries
	}
	return out, nil
}
