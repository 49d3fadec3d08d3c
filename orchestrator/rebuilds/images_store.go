package rebuilds

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
)

// ImageArgsStore is the optional part of a [Store] that keeps the build
// arguments of image rebuilds (Freshmaker's build_args): decided with the
// rebuild, they are used when it is submitted, possibly after a restart or
// after its parent image was rebuilt. [SQLStore] implements it; image
// rebuilds need it.
type ImageArgsStore interface {
	SetImageArgs(ctx context.Context, buildID int64, req *ContainerBuildRequest) error
	// ImageArgs returns nil, nil when none were recorded.
	ImageArgs(ctx context.Context, buildID int64) (*ContainerBuildRequest, error)
}

func (s *Service) setImageArgs(ctx context.Context, id int64, req *ContainerBuildRequest) error {
	as, ok := s.st.(ImageArgsStore)
	if !ok {
		return errors.New("rebuilds: the store does not keep image build arguments (it does not implement ImageArgsStore)")
	}
	return as.SetImageArgs(ctx, id, req)
}

func (s *Service) imageArgs(ctx context.Context, id int64) (*ContainerBuildRequest, error) {
	as, ok := s.st.(ImageArgsStore)
	if !ok {
		return nil, errors.New("rebuilds: the store does not keep image build arguments (it does not implement ImageArgsStore)")
	}
	return as.ImageArgs(ctx, id)
}

// The table rebuild_image_args is created on first use.
func (s *SQLStore) imageArgsTable(ctx context.Context) error {
	_, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS rebuild_image_args (build_id BIGINT PRIMARY KEY, args TEXT NOT NULL)`)
	if err != nil {
		return fmt.Errorf("rebuilds: create rebuild_image_args: %w", err)
	}
	return nil
}

// SetImageArgs implements [ImageArgsStore].
func (s *SQLStore) SetImageArgs(ctx context.Context, buildID int64, req *ContainerBuildRequest) error {
	if err := s.imageArgsTable(ctx); err != nil {
		return err
	}
	b, err := json.Marshal(req)
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, s.q(`INSERT INTO rebuild_image_args (build_id, args) VALUES (?, ?)
		ON CONFLICT (build_id) DO UPDATE SET args = excluded.args`), buildID, string(b))
	if err != nil {
		return fmt.Errorf("rebuilds: record build arguments of %d: %w", buildID, err)
	}
	return nil
}

// ImageArgs implements [ImageArgsStore].
func (s *SQLStore) ImageArgs(ctx context.Context, buildID int64) (*ContainerBuildRequest, error) {
	if err := s.imageArgsTable(ctx); err != nil {
		return nil, err
	}
	var args string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT args FROM rebuild_image_args WHERE build_id = ?`), buildID).Scan(&args)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("rebuilds: read build arguments of %d: %w", buildID, err)
	}
	req := &ContainerBuildRequest{}
	if err := json.Unmarshal([]byte(args), req); err != nil {
		return nil, fmt.Errorf("rebuilds: build arguments of %d: %w", buildID, err)
	}
	return req, nil
}

// withImageArgs adds Freshmaker's build_args to the JSON of image builds:
// to m itself when it is a build's, else to the builds it lists.
func (a *api) withImageArgs(ctx context.Context, m map[string]any, bs []*ArtifactBuild) map[string]any {
	as, ok := a.st.(ImageArgsStore)
	if !ok {
		return m
	}
	targets := []map[string]any{m}
	if l, ok := m["builds"].([]map[string]any); ok {
		targets = l
	}
	for i, b := range bs {
		if i >= len(targets) || b.Type != ArtifactImage {
			continue
		}
		if req, err := as.ImageArgs(ctx, b.ID); err == nil && req != nil {
			targets[i]["build_args"] = req
		}
	}
	return m
}
