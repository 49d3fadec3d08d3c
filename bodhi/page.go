package bodhi

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/url"
	"strconv"
)

// MaxRowsPerPage is the largest page Bodhi serves.
const MaxRowsPerPage = 1000

// ListOptions select one page of a list. Zero values mean Bodhi's
// defaults (page 1, 20 rows).
type ListOptions struct {
	Page        int // 1-based
	RowsPerPage int // 1..MaxRowsPerPage
}

func (o ListOptions) add(q url.Values) {
	if o.Page > 0 {
		q.Set("page", strconv.Itoa(o.Page))
	}
	if o.RowsPerPage > 0 {
		q.Set("rows_per_page", strconv.Itoa(o.RowsPerPage))
	}
}

// Page is one page of a list answer.
type Page[T any] struct {
	Items       []T
	Page        int // this page, 1-based
	Pages       int // number of pages
	RowsPerPage int
	Total       int // items over all pages
}

// pageJSON is the paging part of a list answer.
type pageJSON struct {
	Page        int `json:"page"`
	Pages       int `json:"pages"`
	RowsPerPage int `json:"rows_per_page"`
	Total       int `json:"total"`
}

// decodePage decodes a list answer whose items are under key.
func decodePage[T any](data []byte, key string) (*Page[T], error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, err
	}
	items, ok := raw[key]
	if !ok {
		return nil, fmt.Errorf("answer has no %q list", key)
	}
	p := &Page[T]{}
	if err := json.Unmarshal(items, &p.Items); err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	var pj pageJSON
	if err := json.Unmarshal(data, &pj); err != nil {
		return nil, err
	}
	p.Page, p.Pages, p.RowsPerPage, p.Total = pj.Page, pj.Pages, pj.RowsPerPage, pj.Total
	return p, nil
}

// list fetches one page of path, items under key.
func list[T any](ctx context.Context, c *Client, path, key string, q url.Values) (*Page[T], error) {
	var raw json.RawMessage
	if err := c.get(ctx, path, q, &raw); err != nil {
		return nil, err
	}
	p, err := decodePage[T](raw, key)
	if err != nil {
		return nil, fmt.Errorf("bodhi: GET /%s: decode answer: %w", path, err)
	}
	return p, nil
}

// all walks every page from the one q selects (page 1 by default).
func all[T any](ctx context.Context, c *Client, path, key string, q url.Values) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		page := 1
		if p, err := strconv.Atoi(q.Get("page")); err == nil && p > 0 {
			page = p
		}
		if q.Get("rows_per_page") == "" {
			q.Set("rows_per_page", "100")
		}
		for {
			q.Set("page", strconv.Itoa(page))
			p, err := list[T](ctx, c, path, key, q)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, it := range p.Items {
				if !yield(it, nil) {
					return
				}
			}
			if page >= p.Pages || len(p.Items) == 0 {
				return
			}
			page++
		}
	}
}

// query helpers.

func addStrings(q url.Values, key string, vs []string) {
	for _, v := range vs {
		q.Add(key, v)
	}
}

func addString(q url.Values, key, v string) {
	if v != "" {
		q.Set(key, v)
	}
}

func addBool(q url.Values, key string, v *bool) {
	if v != nil {
		q.Set(key, strconv.FormatBool(*v))
	}
}

func addTime(q url.Values, key string, v Time) {
	if !v.IsZero() {
		q.Set(key, v.UTC().Format(TimeLayout))
	}
}
