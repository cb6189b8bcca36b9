package meta

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"
)

// The schema registry's part of a snapshot (version 3). Field names are
// the on-disk contract, as for the records.
type (
	wireRegistry struct {
		NextID   int32                `json:"next_id"`
		Schemas  []wireSchema         `json:"schemas,omitempty"`  // by id
		Subjects []wireSubject        `json:"subjects,omitempty"` // by name
		Configs  []wireRegistryConfig `json:"configs,omitempty"`  // by subject, "" (global) first
		Modes    map[string]string    `json:"modes,omitempty"`    // by subject, "" global
	}
	wireSchema struct {
		ID         int32           `json:"id"`
		SchemaType string          `json:"schema_type"`
		Schema     string          `json:"schema"`
		References []wireReference `json:"references,omitempty"`
	}
	wireSubject struct {
		Subject  string              `json:"subject"`
		Highest  int32               `json:"highest"`
		Versions []wireSchemaVersion `json:"versions,omitempty"`
	}
	wireSchemaVersion struct {
		Version int32 `json:"version"`
		ID      int32 `json:"id"`
		Deleted bool  `json:"deleted,omitempty"`
	}
	wireRegistryConfig struct {
		Subject       string `json:"subject"`
		Compatibility string `json:"compatibility,omitempty"`
		Normalize     *bool  `json:"normalize,omitempty"`
	}
)

// encodeRegistry returns r's snapshot form; nil when r holds nothing.
func encodeRegistry(r *registry) *wireRegistry {
	if r.empty() {
		return nil
	}
	w := &wireRegistry{NextID: r.nextID, Modes: r.modes}
	for _, s := range r.schemas.All() {
		w.Schemas = append(w.Schemas, wireSchema{s.ID, s.Type, s.Text, wireRefs(s.References)})
	}
	slices.SortFunc(w.Schemas, func(a, b wireSchema) int { return cmp.Compare(a.ID, b.ID) })
	for name, sub := range r.subjects.All() {
		ws := wireSubject{Subject: name, Highest: sub.highest}
		for _, v := range sub.versions {
			ws.Versions = append(ws.Versions, wireSchemaVersion{v.Version, v.ID, v.Deleted})
		}
		w.Subjects = append(w.Subjects, ws)
	}
	slices.SortFunc(w.Subjects, func(a, b wireSubject) int { return strings.Compare(a.Subject, b.Subject) })
	for _, subject := range slices.Sorted(maps.Keys(r.configs)) {
		c := r.configs[subject]
		w.Configs = append(w.Configs, wireRegistryConfig{subject, c.Compatibility, c.Normalize})
	}
	return w
}

// decodeRegistry rebuilds the registry of a snapshot into st, checking
// every invariant the records keep. Errors wrap ErrInvalidRecord.
func decodeRegistry(st *state, w *wireRegistry) error {
	reg := newRegistry()
	if w.NextID < 1 {
		return fmt.Errorf("%w: registry next id %d", ErrInvalidRecord, w.NextID)
	}
	for _, s := range w.Schemas {
		refs := refsOf(s.References)
		switch {
		case s.ID < 1 || s.ID >= w.NextID:
			return fmt.Errorf("%w: schema id %d (next id %d)", ErrInvalidRecord, s.ID, w.NextID)
		case s.SchemaType != SchemaTypeAvro && s.SchemaType != SchemaTypeJSON && s.SchemaType != SchemaTypeProtobuf:
			return fmt.Errorf("%w: schema %d type %q", ErrInvalidRecord, s.ID, s.SchemaType)
		case s.Schema == "" || !utf8.ValidString(s.Schema):
			return fmt.Errorf("%w: schema %d text empty or not UTF-8", ErrInvalidRecord, s.ID)
		}
		if _, ok := reg.schemas.Get(s.ID); ok {
			return fmt.Errorf("%w: schema id %d twice", ErrInvalidRecord, s.ID)
		}
		key := contentKey(s.SchemaType, s.Schema, refs)
		if other, ok := reg.byKey.Get(key); ok {
			return fmt.Errorf("%w: schemas %d and %d are the same", ErrInvalidRecord, other, s.ID)
		}
		reg.schemas = reg.schemas.Set(s.ID, Schema{s.ID, s.SchemaType, s.Schema, refs})
		reg.byKey = reg.byKey.Set(key, s.ID)
	}
	reg.nextID = w.NextID
	for _, ws := range w.Subjects {
		if err := checkSubject(ws.Subject); err != nil {
			return err
		}
		if _, ok := reg.subjects.Get(ws.Subject); ok || ws.Highest < 1 {
			return fmt.Errorf("%w: subject %q twice or with highest version %d", ErrInvalidRecord, ws.Subject, ws.Highest)
		}
		sub := subjectState{highest: ws.Highest}
		live := map[int32]bool{}
		prev := int32(0)
		for _, v := range ws.Versions {
			if v.Version <= prev || v.Version > ws.Highest {
				return fmt.Errorf("%w: subject %q version %d out of order or above %d", ErrInvalidRecord, ws.Subject, v.Version, ws.Highest)
			}
			prev = v.Version
			if _, ok := reg.schemas.Get(v.ID); !ok {
				return fmt.Errorf("%w: subject %q version %d holds unknown schema id %d", ErrInvalidRecord, ws.Subject, v.Version, v.ID)
			}
			if !v.Deleted {
				if live[v.ID] {
					return fmt.Errorf("%w: subject %q holds schema id %d twice", ErrInvalidRecord, ws.Subject, v.ID)
				}
				live[v.ID] = true
			}
			sub.versions = append(sub.versions, SchemaVersion{ws.Subject, v.Version, v.ID, v.Deleted})
		}
		reg.subjects = reg.subjects.Set(ws.Subject, sub)
	}
	for id, s := range reg.schemas.All() {
		if !reg.inUse(id) {
			continue // its references may name versions deleted since
		}
		names := map[string]bool{}
		for _, ref := range s.References {
			if _, ok := reg.version(ref.Subject, ref.Version); !ok || ref.Name == "" || names[ref.Name] {
				return fmt.Errorf("%w: schema %d reference %q to %q version %d", ErrInvalidRecord, id, ref.Name, ref.Subject, ref.Version)
			}
			names[ref.Name] = true
		}
	}
	st.registry = reg
	for _, c := range w.Configs {
		if _, ok := reg.configs[c.Subject]; ok || (c.Compatibility == "" && c.Normalize == nil) {
			return fmt.Errorf("%w: registry config of %q twice or empty", ErrInvalidRecord, c.Subject)
		}
		if _, err := st.applyRegistry(RegistryConfigChanged(c)); err != nil {
			return err
		}
	}
	for subject, mode := range w.Modes {
		if mode == "" {
			return fmt.Errorf("%w: empty registry mode of %q", ErrInvalidRecord, subject)
		}
		if _, err := st.applyRegistry(RegistryModeChanged{subject, mode}); err != nil {
			return err
		}
	}
	return nil
}
