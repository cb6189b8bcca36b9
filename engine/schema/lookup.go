package schema

import (
	"github.com/streamlite/streamlite/engine/meta"
	"github.com/streamlite/streamlite/engine/schema/compat"
)

// SchemaVersions returns the subject versions that hold schema id, sorted
// by subject and version: the live ones, or with deleted also the
// soft-deleted ones (GET /schemas/ids/{id}/versions and, by subject,
// /subjects). 40403 when no version holds it.
func (r *Registry) SchemaVersions(id int32, deleted bool) ([]meta.SchemaVersion, error) {
	uses := r.log.Registry().SchemaUses(id)
	var out []meta.SchemaVersion
	for _, v := range uses {
		if deleted || !v.Deleted {
			out = append(out, v)
		}
	}
	if len(uses) == 0 {
		return nil, errSchemaNotFound("Schema %d not found", id)
	}
	return out, nil
}

// ReferencedBy returns the ids, ascending, of schemas that reference
// version v (or Latest) of subject (GET
// /subjects/{s}/versions/{v}/referencedby). Errors as for Version, with
// soft-deleted versions found.
func (r *Registry) ReferencedBy(subject string, v int32) ([]int32, error) {
	view := r.log.Registry()
	sv, err := findVersion(view, subject, v, true)
	if err != nil {
		return nil, err
	}
	return view.Referrers(sv.Subject, sv.Version), nil
}

// CheckCompatibility answers POST /compatibility/subjects/{s}/versions/{v}
// (v a version or Latest) and, with v 0, .../versions (every live version
// the subject's level looks at). With a version the check is against that
// one version only, the level picking the direction, as Confluent does; a
// subject with no versions is compatible with Latest (Confluent's
// answer). It returns whether in is compatible and, when not, the
// verbose messages. Errors: 42201 for a schema that does not parse, 40401
// and 40402 for a missing subject or version.
func (r *Registry) CheckCompatibility(subject string, v int32, in SchemaInput) (bool, []string, error) {
	if v < 0 && v != Latest {
		return false, nil, newError(CodeInvalidVersion, "The specified version '%d' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\"", v)
	}
	view := r.log.Registry()
	typ, _, _, p, err := prepare(view, in)
	if err != nil {
		return false, nil, err
	}
	versions, _ := view.Versions(subject)
	against := live(versions)
	level := compat.Level(effectiveConfig(view, subject).Compatibility)
	if v != 0 {
		if len(against) == 0 && v == Latest {
			return true, nil, nil
		}
		sv, err := findVersion(view, subject, v, false)
		if err != nil {
			return false, nil, err
		}
		against = []meta.SchemaVersion{sv}
		switch level { // one version: only the direction matters
		case compat.BackwardTransitive:
			level = compat.Backward
		case compat.ForwardTransitive:
			level = compat.Forward
		case compat.FullTransitive:
			level = compat.Full
		}
	}
	r.mu.Lock() // for the cache of parsed schemas
	ok, problems := r.checkLocked(view, level, typ, p, against)
	r.mu.Unlock()
	if ok {
		return true, nil, nil
	}
	return false, incompatible(subject, problems).Messages, nil
}
