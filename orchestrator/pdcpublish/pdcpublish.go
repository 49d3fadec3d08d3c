// Package pdcpublish records module builds in PDC as pdc-updater did: an
// [orchestrator.Publisher] that, for each module.state.change event of a
// non-scratch build in state wait, build, done or ready, gets or creates
// the module in PDC's modules/ (uid name:stream:version:context) and, once
// the build is ready, activates it.
//
// The service has one Publisher; to also publish to a message bus, wrap
// both with [Tee].
package pdcpublish

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/modkit/modkit/orchestrator"
	"github.com/modkit/modkit/pdc"
)

// Publisher records module builds in PDC.
type Publisher struct {
	PDC *pdc.Client // with a token that may write modules
	// Modulemd returns a build's modulemd YAML (the orchestrator's
	// ModuleBuild.Modulemd, e.g. via Service.Get). Required: PDC needs it.
	Modulemd func(ctx context.Context, id int64) (string, error)
}

// Publish implements orchestrator.Publisher. Events of other topics are
// ignored. It is idempotent: an event delivered twice changes nothing more.
func (p *Publisher) Publish(ctx context.Context, events []orchestrator.Event) error {
	for _, ev := range events {
		if !strings.HasSuffix(ev.Topic, orchestrator.TopicModuleStateChange) {
			continue
		}
		var m orchestrator.ModuleMessage
		if err := json.Unmarshal(ev.Body, &m); err != nil {
			return fmt.Errorf("pdcpublish: event %s: %w", ev.MessageID, err)
		}
		if err := p.record(ctx, &m); err != nil {
			return fmt.Errorf("pdcpublish: module build %d (%s:%s:%s): %w", m.ID, m.Name, m.Stream, m.Version, err)
		}
	}
	return nil
}

func (p *Publisher) record(ctx context.Context, m *orchestrator.ModuleMessage) error {
	switch m.State {
	case orchestrator.StateWait, orchestrator.StateBuild, orchestrator.StateDone, orchestrator.StateReady:
	default:
		return nil
	}
	if m.Scratch || m.Version == "" {
		return nil
	}
	ctxStr := m.Context
	if ctxStr == "" {
		ctxStr = "00000000" // as pdc-updater did for builds without one
	}
	uid := strings.Join([]string{m.Name, m.Stream, m.Version, ctxStr}, ":")
	cur, err := p.PDC.GetModule(ctx, uid)
	if errors.Is(err, pdc.ErrNotFound) {
		if p.Modulemd == nil {
			return errors.New("no Modulemd function")
		}
		md, err := p.Modulemd(ctx, m.ID)
		if err != nil {
			return fmt.Errorf("modulemd: %w", err)
		}
		tag := ""
		if m.KojiTag != nil {
			tag = *m.KojiTag
		}
		if tag == "" {
			tag = legacyTag(m.Name, m.Stream, m.Version, ctxStr)
		}
		var deps []pdc.Dependency
		for _, name := range sortedKeys(m.BuildRequires) {
			deps = append(deps, pdc.Dependency{Dependency: name, Stream: m.BuildRequires[name].Stream})
		}
		cur, err = p.PDC.CreateModule(ctx, &pdc.Module{Name: m.Name, Stream: m.Stream, Version: m.Version, Context: ctxStr,
			KojiTag: tag, Modulemd: md, BuildDeps: deps, RuntimeDeps: []pdc.Dependency{}})
		if err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	if m.State == orchestrator.StateReady && !cur.Active {
		if _, err := p.PDC.PatchModule(ctx, uid, map[string]any{"active": true}); err != nil {
			return err
		}
	}
	return nil
}

// legacyTag is pdc-updater's koji tag for a build without one: "module-"
// and the first 16 hex digits of sha1("name.stream.version[.context]").
func legacyTag(name, stream, version, context string) string {
	s := name + "." + stream + "." + version
	if context != "" && context != "00000000" {
		s += "." + context
	}
	sum := sha1.Sum([]byte(s))
	return "module-" + hex.EncodeToString(sum[:])[:16]
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Tee publishes to every publisher in order; the first error stops it
// (the service then passes the events again later).
type Tee []orchestrator.Publisher

// Publish implements orchestrator.Publisher.
func (t Tee) Publish(ctx context.Context, events []orchestrator.Event) error {
	for _, p := range t {
		if err := p.Publish(ctx, events); err != nil {
			return err
		}
	}
	return nil
}
