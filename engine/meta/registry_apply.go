package meta

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"unicode/utf8"
)

// subjectState is one subject's versions, oldest first, and the highest
// version it ever had. Values are replaced, never written.
type subjectState struct {
	versions []SchemaVersion
	highest  int32
}

// registry is the schema registry's part of the state. Like state, a
// published registry is never modified: state.clone clones it.
type registry struct {
	schemas  pmap[int32, Schema]        // every id ever assigned, never removed
	byKey    pmap[string, int32]        // contentKey to id
	subjects pmap[string, subjectState] // also subjects whose versions were all hard-deleted
	configs  map[string]RegistryConfig  // by subject, "" global; replaced, never written; nil when none
	modes    map[string]string          // by subject, "" global; replaced, never written; nil when none
	nextID   int32                      // above every id assigned; 1 when none
}

func newRegistry() *registry {
	return &registry{
		schemas:  newPmap[int32, Schema](),
		byKey:    newPmap[string, int32](),
		subjects: newPmap[string, subjectState](),
		nextID:   1,
	}
}

func (r *registry) clone() *registry {
	c := *r
	c.schemas = r.schemas.edit()
	c.byKey = r.byKey.edit()
	c.subjects = r.subjects.edit()
	return &c
}

// empty reports whether r holds nothing a snapshot must keep.
func (r *registry) empty() bool {
	return r == nil || (r.schemas.Len() == 0 && r.subjects.Len() == 0 && len(r.configs) == 0 && len(r.modes) == 0)
}

// contentKey identifies a schema's content: type, text and references.
func contentKey(typ, text string, refs []SchemaReference) string {
	b, _ := json.Marshal(struct {
		T string
		S string
		R []SchemaReference
	}{typ, text, refs})
	return string(b)
}

// reg returns s's registry, making one if it has none.
func (s *state) reg() *registry {
	if s.registry == nil {
		s.registry = newRegistry()
	}
	return s.registry
}

// applyRegistry is apply for the registry's records. On error s is
// unchanged: it does not even gain an empty registry.
func (s *state) applyRegistry(r Record) (Record, error) {
	had := s.registry
	out, err := s.applyRegistryRecord(r)
	if err != nil {
		s.registry = had
	}
	return out, err
}

func (s *state) applyRegistryRecord(r Record) (Record, error) {
	switch r := r.(type) {
	case SchemaRegistered:
		return s.applySchemaRegistered(r)
	case SchemaDeleted:
		return s.applySchemaDeleted(r)
	case RegistryConfigChanged:
		if r.Subject != "" {
			if err := checkSubject(r.Subject); err != nil {
				return nil, err
			}
		}
		if r.Compatibility != "" && !slices.Contains(compatibilityLevels, r.Compatibility) {
			return nil, fmt.Errorf("%w: compatibility level %q", ErrInvalidRecord, r.Compatibility)
		}
		reg := s.reg()
		cfg := maps.Clone(reg.configs)
		if cfg == nil {
			cfg = map[string]RegistryConfig{}
		}
		if r.Compatibility == "" && r.Normalize == nil {
			delete(cfg, r.Subject)
		} else {
			c := RegistryConfig{Compatibility: r.Compatibility}
			if r.Normalize != nil {
				n := *r.Normalize
				c.Normalize = &n
				r.Normalize = &n // the record stored shares nothing with the caller's
			}
			cfg[r.Subject] = c
		}
		if len(cfg) == 0 {
			cfg = nil
		}
		reg.configs = cfg
		return r, nil
	case RegistryModeChanged:
		if r.Subject != "" {
			if err := checkSubject(r.Subject); err != nil {
				return nil, err
			}
		}
		if r.Mode != "" && !slices.Contains(registryModes, r.Mode) {
			return nil, fmt.Errorf("%w: registry mode %q", ErrInvalidRecord, r.Mode)
		}
		reg := s.reg()
		modes := maps.Clone(reg.modes)
		if modes == nil {
			modes = map[string]string{}
		}
		if r.Mode == "" {
			delete(modes, r.Subject)
		} else {
			modes[r.Subject] = r.Mode
		}
		reg.modes = cloneNonEmpty(modes)
		return r, nil
	}
	return nil, fmt.Errorf("%w: record %T", ErrInvalidRecord, r)
}

func (s *state) applySchemaRegistered(r SchemaRegistered) (Record, error) {
	if err := checkSubject(r.Subject); err != nil {
		return nil, err
	}
	switch r.SchemaType {
	case SchemaTypeAvro, SchemaTypeJSON, SchemaTypeProtobuf:
	default:
		return nil, fmt.Errorf("%w: schema type %q", ErrInvalidRecord, r.SchemaType)
	}
	if r.Schema == "" || !utf8.ValidString(r.Schema) {
		return nil, fmt.Errorf("%w: schema text of %q version %d is empty or not UTF-8", ErrInvalidRecord, r.Subject, r.Version)
	}
	if r.ID < 1 {
		return nil, fmt.Errorf("%w: schema id %d", ErrInvalidRecord, r.ID)
	}
	reg := s.reg()
	names := make(map[string]bool, len(r.References))
	for _, ref := range r.References {
		if ref.Name == "" || !utf8.ValidString(ref.Name) || names[ref.Name] {
			return nil, fmt.Errorf("%w: reference name %q empty, not UTF-8 or repeated", ErrInvalidRecord, ref.Name)
		}
		names[ref.Name] = true
		if _, ok := reg.version(ref.Subject, ref.Version); !ok {
			return nil, fmt.Errorf("%w: reference %q to %q version %d, which does not exist", ErrInvalidRecord, ref.Name, ref.Subject, ref.Version)
		}
	}
	r.References = slices.Clone(r.References)
	if len(r.References) == 0 {
		r.References = nil
	}
	key := contentKey(r.SchemaType, r.Schema, r.References)
	if old, ok := reg.schemas.Get(r.ID); ok {
		if contentKey(old.Type, old.Text, old.References) != key {
			return nil, fmt.Errorf("%w: schema id %d already names another schema", ErrInvalidRecord, r.ID)
		}
	} else if other, ok := reg.byKey.Get(key); ok {
		return nil, fmt.Errorf("%w: schema already has id %d, not %d", ErrInvalidRecord, other, r.ID)
	}
	sub, _ := reg.subjects.Get(r.Subject)
	if r.Version <= sub.highest {
		return nil, fmt.Errorf("%w: subject %q version %d is not above its highest version %d", ErrInvalidRecord, r.Subject, r.Version, sub.highest)
	}
	for _, v := range sub.versions {
		if v.ID == r.ID && !v.Deleted {
			return nil, fmt.Errorf("%w: subject %q already holds schema id %d as version %d", ErrInvalidRecord, r.Subject, r.ID, v.Version)
		}
	}
	if _, ok := reg.schemas.Get(r.ID); !ok {
		reg.schemas = reg.schemas.Set(r.ID, Schema{ID: r.ID, Type: r.SchemaType, Text: r.Schema, References: r.References})
		reg.byKey = reg.byKey.Set(key, r.ID)
		reg.nextID = max(reg.nextID, r.ID+1)
	}
	versions := append(slices.Clip(sub.versions), SchemaVersion{Subject: r.Subject, Version: r.Version, ID: r.ID})
	reg.subjects = reg.subjects.Set(r.Subject, subjectState{versions: versions, highest: r.Version})
	r.References = slices.Clone(r.References) // the stored schema and the returned record share nothing
	return r, nil
}

func (s *state) applySchemaDeleted(r SchemaDeleted) (Record, error) {
	if err := checkSubject(r.Subject); err != nil {
		return nil, err
	}
	if r.Version < 0 {
		return nil, fmt.Errorf("%w: version %d", ErrInvalidRecord, r.Version)
	}
	reg := s.reg()
	sub, _ := reg.subjects.Get(r.Subject)
	if len(sub.versions) == 0 {
		return nil, fmt.Errorf("%w: subject %q has no versions", ErrInvalidRecord, r.Subject)
	}
	hit := func(v SchemaVersion) bool { return r.Version == 0 || v.Version == r.Version }
	var n, live int
	for _, v := range sub.versions {
		if hit(v) {
			n++
			if !v.Deleted {
				live++
			}
		}
	}
	switch {
	case n == 0:
		return nil, fmt.Errorf("%w: subject %q has no version %d", ErrInvalidRecord, r.Subject, r.Version)
	case !r.Permanent && live == 0:
		return nil, fmt.Errorf("%w: subject %q version %d is already soft-deleted", ErrInvalidRecord, r.Subject, r.Version)
	case r.Permanent && live > 0:
		return nil, fmt.Errorf("%w: subject %q version %d must be soft-deleted before a permanent delete", ErrInvalidRecord, r.Subject, r.Version)
	}
	var kept []SchemaVersion
	for _, v := range sub.versions {
		switch {
		case !hit(v):
			kept = append(kept, v)
		case !r.Permanent:
			v.Deleted = true
			kept = append(kept, v)
		default:
			if ids := reg.referrers(r.Subject, v.Version); len(ids) > 0 {
				return nil, fmt.Errorf("%w: subject %q version %d is referenced by schema ids %v", ErrInvalidRecord, r.Subject, v.Version, ids)
			}
		}
	}
	reg.subjects = reg.subjects.Set(r.Subject, subjectState{versions: kept, highest: sub.highest})
	if r.Permanent && r.Version == 0 {
		if _, ok := reg.configs[r.Subject]; ok {
			reg.configs = maps.Clone(reg.configs)
			delete(reg.configs, r.Subject)
			if len(reg.configs) == 0 {
				reg.configs = nil
			}
		}
		if _, ok := reg.modes[r.Subject]; ok {
			modes := maps.Clone(reg.modes)
			delete(modes, r.Subject)
			reg.modes = cloneNonEmpty(modes)
		}
	}
	return r, nil
}

// checkSubject rejects subject names the log could not store faithfully.
// The registry's own rules for subject names belong to the caller.
func checkSubject(subject string) error {
	if subject == "" || !utf8.ValidString(subject) {
		return fmt.Errorf("%w: subject name %q empty or not UTF-8", ErrInvalidRecord, subject)
	}
	return nil
}

// version returns version v of subject, live or soft-deleted.
func (r *registry) version(subject string, v int32) (SchemaVersion, bool) {
	sub, _ := r.subjects.Get(subject)
	for _, sv := range sub.versions {
		if sv.Version == v {
			return sv, true
		}
	}
	return SchemaVersion{}, false
}

// inUse reports whether some subject version (live or soft-deleted)
// holds schema id.
func (r *registry) inUse(id int32) bool {
	for _, sub := range r.subjects.All() {
		for _, v := range sub.versions {
			if v.ID == id {
				return true
			}
		}
	}
	return false
}

// referrers returns the ids, ascending, of schemas in use whose
// references name version v of subject. It walks every schema: the
// registry of a development broker is small, and deletes are rare.
func (r *registry) referrers(subject string, v int32) []int32 {
	var ids []int32
	for id, sc := range r.schemas.All() {
		for _, ref := range sc.References {
			if ref.Subject == subject && ref.Version == v && r.inUse(id) {
				ids = append(ids, id)
				break
			}
		}
	}
	slices.Sort(ids)
	return ids
}
