package meta

import (
	"cmp"
	"slices"
	"strings"
)

func (s Schema) clone() Schema {
	s.References = slices.Clone(s.References)
	return s
}

// RegistryState is a consistent, read-only view of the schema registry's
// state as of one moment: every method answers from the same state, and
// values returned are copies the caller owns. Get one with
// [Log.Registry].
type RegistryState struct {
	r *registry // nil when the registry holds nothing
}

// Registry returns a view of the schema registry's state as it is now.
// Later Appends do not change it.
func (l *Log) Registry() RegistryState { return RegistryState{l.state.Load().registry} }

// SchemaByID returns the schema with id, whether or not a subject version
// still holds it (see [RegistryState.SchemaUses]).
func (v RegistryState) SchemaByID(id int32) (Schema, bool) {
	if v.r == nil {
		return Schema{}, false
	}
	s, ok := v.r.schemas.Get(id)
	return s.clone(), ok
}

// SchemaID returns the id of the schema with this exact content (type,
// text and references), if it has one.
func (v RegistryState) SchemaID(typ, text string, refs []SchemaReference) (int32, bool) {
	if v.r == nil {
		return 0, false
	}
	if len(refs) == 0 {
		refs = nil
	}
	return v.r.byKey.Get(contentKey(typ, text, refs))
}

// SchemaUses returns the subject versions, live and soft-deleted, that
// hold schema id, sorted by subject and version.
func (v RegistryState) SchemaUses(id int32) []SchemaVersion {
	if v.r == nil {
		return nil
	}
	var out []SchemaVersion
	for _, sub := range v.r.subjects.All() {
		for _, sv := range sub.versions {
			if sv.ID == id {
				out = append(out, sv)
			}
		}
	}
	sortVersions(out)
	return out
}

// Referrers returns the ids, ascending, of schemas held by some subject
// version (live or soft-deleted) whose references name version of
// subject.
func (v RegistryState) Referrers(subject string, version int32) []int32 {
	if v.r == nil {
		return nil
	}
	return v.r.referrers(subject, version)
}

// Subjects returns the subjects that have at least one version, live or
// soft-deleted, sorted.
func (v RegistryState) Subjects() []string {
	if v.r == nil {
		return nil
	}
	var out []string
	for name, sub := range v.r.subjects.All() {
		if len(sub.versions) > 0 {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// Versions returns subject's versions, live and soft-deleted, oldest
// first, and the highest version the subject ever had (0 if none): the
// next registration gets a version above it.
func (v RegistryState) Versions(subject string) (versions []SchemaVersion, highest int32) {
	if v.r == nil {
		return nil, 0
	}
	sub, _ := v.r.subjects.Get(subject)
	return slices.Clone(sub.versions), sub.highest
}

// NextID returns the lowest id above every id assigned so far; 1 when
// none was.
func (v RegistryState) NextID() int32 {
	if v.r == nil {
		return 1
	}
	return v.r.nextID
}

// Config returns the config of subject ("" for the global one), if set.
func (v RegistryState) Config(subject string) (RegistryConfig, bool) {
	if v.r == nil {
		return RegistryConfig{}, false
	}
	c, ok := v.r.configs[subject]
	if c.Normalize != nil {
		n := *c.Normalize
		c.Normalize = &n
	}
	return c, ok
}

// Mode returns the mode of subject ("" for the global one), if set.
func (v RegistryState) Mode(subject string) (string, bool) {
	if v.r == nil {
		return "", false
	}
	m, ok := v.r.modes[subject]
	return m, ok
}

func sortVersions(vs []SchemaVersion) {
	slices.SortFunc(vs, func(a, b SchemaVersion) int {
		if c := strings.Compare(a.Subject, b.Subject); c != 0 {
			return c
		}
		return cmp.Compare(a.Version, b.Version)
	})
}

// Same reports whether v and o are views of the same registry state, so a
// cache of answers computed from one is still good for the other. Any
// change to the metadata log may make a new state even when the registry
// did not change, so a false answer is only a hint to recompute.
func (v RegistryState) Same(o RegistryState) bool { return v.r == o.r }

// SubjectHolds reports whether a version of subject holds schema id:
// live if a live one does, softDeleted if only soft-deleted ones do. It
// copies nothing, for checks on the produce path.
func (v RegistryState) SubjectHolds(subject string, id int32) (live, softDeleted bool) {
	if v.r == nil {
		return false, false
	}
	sub, _ := v.r.subjects.Get(subject)
	for _, sv := range sub.versions {
		if sv.ID != id {
			continue
		}
		if !sv.Deleted {
			return true, false
		}
		softDeleted = true
	}
	return false, softDeleted
}
