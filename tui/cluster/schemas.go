package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/twmb/franz-go/pkg/sr"
)

// ErrNoRegistry is returned by the schema methods of a Client built without a registry.
var ErrNoRegistry = errors.New("cluster: no schema registry configured")

// subjectConcurrency bounds the per-subject compatibility requests Subjects sends at once.
const subjectConcurrency = 8

// Subjects lists the registry's subjects sorted by name, with their versions, latest schema
// and compatibility. It reads every schema in one GET /schemas (falling back to per-subject
// requests when the registry lacks it) and each subject's compatibility (defaulting to the
// global level), a few requests at a time. A failed schema listing is an error; a failed
// compatibility lookup leaves Compatibility "".
func (c *Client) Subjects(ctx context.Context) ([]Subject, error) {
	if c.sr == nil {
		return nil, ErrNoRegistry
	}
	all, err := c.sr.AllSchemas(ctx)
	if err != nil {
		all, err = c.schemasBySubject(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing subjects from %s: %w", c.cfg.Registry, err)
		}
	}
	bySubject := make(map[string]*Subject)
	latest := make(map[string]int)
	for _, s := range all {
		sub := bySubject[s.Subject]
		if sub == nil {
			sub = &Subject{Name: s.Subject}
			bySubject[s.Subject] = sub
		}
		sub.Versions = append(sub.Versions, s.Version)
		if s.Version > latest[s.Subject] {
			latest[s.Subject] = s.Version
			sub.LatestID, sub.LatestType = s.ID, s.Type.String()
		}
	}
	out := make([]Subject, 0, len(bySubject))
	for _, s := range bySubject {
		sort.Ints(s.Versions)
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })

	// Compatibility, a few subjects at a time.
	sem := make(chan struct{}, subjectConcurrency)
	var wg sync.WaitGroup
	cctx := sr.WithParams(ctx, sr.DefaultToGlobal)
	for i := range out {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			res := c.sr.Compatibility(cctx, out[i].Name)
			if len(res) == 1 && res[0].Err == nil {
				out[i].Compatibility = res[0].Level.String()
			}
		})
	}
	wg.Wait()
	return out, nil
}

// schemasBySubject lists the latest schema of each subject with per-subject requests, for
// registries without GET /schemas; Versions then come from GET .../versions.
func (c *Client) schemasBySubject(ctx context.Context) ([]sr.SubjectSchema, error) {
	subjects, err := c.sr.Subjects(ctx)
	if err != nil {
		return nil, err
	}
	var out []sr.SubjectSchema
	for _, s := range subjects {
		versions, err := c.sr.SubjectVersions(ctx, s)
		if err != nil {
			return nil, fmt.Errorf("versions of %s: %w", s, err)
		}
		ls, err := c.sr.SchemaByVersion(ctx, s, -1)
		if err != nil {
			return nil, fmt.Errorf("latest schema of %s: %w", s, err)
		}
		for _, v := range versions {
			if v == ls.Version {
				out = append(out, ls)
			} else {
				out = append(out, sr.SubjectSchema{Subject: s, Version: v})
			}
		}
	}
	return out, nil
}

// Schema returns one version of a subject (version -1: the latest), its text pretty-printed
// when it is JSON (Avro and JSON Schema) and its references as "name (subject vN)".
func (c *Client) Schema(ctx context.Context, subject string, version int) (SchemaVersion, error) {
	if c.sr == nil {
		return SchemaVersion{}, ErrNoRegistry
	}
	s, err := c.sr.SchemaByVersion(ctx, subject, version)
	if err != nil {
		v := fmt.Sprint(version)
		if version < 0 {
			v = "latest"
		}
		return SchemaVersion{}, fmt.Errorf("schema %s version %s: %w", subject, v, err)
	}
	out := SchemaVersion{Subject: s.Subject, Version: s.Version, ID: s.ID, Type: s.Type.String(), Text: s.Schema.Schema}
	if out.Subject == "" {
		out.Subject = subject
	}
	if s.Type != sr.TypeProtobuf && json.Valid([]byte(out.Text)) {
		var buf bytes.Buffer
		if json.Indent(&buf, []byte(out.Text), "", "  ") == nil {
			out.Text = buf.String()
		}
	}
	for _, r := range s.References {
		out.References = append(out.References, fmt.Sprintf("%s (%s v%d)", r.Name, r.Subject, r.Version))
	}
	return out, nil
}
