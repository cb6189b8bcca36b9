package schema

import (
	"fmt"

	"github.com/streamlite/streamlite/engine/meta"
)

// DeleteSubject deletes every version of subject and returns their
// numbers. A soft delete needs a live version (40401 when the subject has
// none at all, 40404 when all are soft-deleted already); a permanent one
// needs every version soft-deleted first (40405) and also drops the
// subject's config and mode. A version another schema references cannot be
// deleted (42206); nor can anything in read-only mode (42205).
func (r *Registry) DeleteSubject(subject string, permanent bool) ([]int32, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	view := r.log.Registry()
	if err := checkWritable(view, subject); err != nil {
		return nil, err
	}
	versions, _ := view.Versions(subject)
	if len(versions) == 0 {
		return nil, errSubjectNotFound(subject)
	}
	lv := live(versions)
	switch {
	case !permanent && len(lv) == 0:
		return nil, newError(CodeSubjectSoftDeleted, "Subject '%s' was soft deleted.Set permanent=true to delete permanently", subject)
	case permanent && len(lv) > 0:
		return nil, newError(CodeSubjectNotSoftDeleted, "Subject '%s' was not deleted first before being permanently deleted", subject)
	}
	var out []int32
	for _, v := range versions {
		if permanent || !v.Deleted {
			if err := checkNoReferrers(view, v); err != nil {
				return nil, err
			}
			out = append(out, v.Version)
		}
	}
	if err := r.log.Append(meta.SchemaDeleted{Subject: subject, Permanent: permanent}); err != nil {
		return nil, fmt.Errorf("schema: deleting subject %q: %w", subject, err)
	}
	return out, nil
}

// DeleteVersion deletes version v of subject (Latest: the newest live
// one) and returns its number. Errors: 40401, 40402 as for Version; 40406
// for a soft delete of a soft-deleted version, 40407 for a permanent
// delete of a live one; 42206 while another schema references it; 42205
// in read-only mode.
func (r *Registry) DeleteVersion(subject string, v int32, permanent bool) (int32, error) {
	if v < 1 && v != Latest {
		return 0, newError(CodeInvalidVersion, "The specified version '%d' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\"", v)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	view := r.log.Registry()
	if err := checkWritable(view, subject); err != nil {
		return 0, err
	}
	sv, err := findVersion(view, subject, v, true)
	if err != nil {
		return 0, err
	}
	switch {
	case !permanent && sv.Deleted:
		return 0, newError(CodeVersionSoftDeleted, "Subject '%s' Version %d was soft deleted.Set permanent=true to delete permanently", subject, sv.Version)
	case permanent && !sv.Deleted:
		return 0, newError(CodeVersionNotSoftDeleted, "Subject '%s' Version %d was not deleted first before being permanently deleted", subject, sv.Version)
	}
	if err := checkNoReferrers(view, sv); err != nil {
		return 0, err
	}
	if err := r.log.Append(meta.SchemaDeleted{Subject: subject, Version: sv.Version, Permanent: permanent}); err != nil {
		return 0, fmt.Errorf("schema: deleting %q version %d: %w", subject, sv.Version, err)
	}
	return sv.Version, nil
}

// checkNoReferrers refuses to delete a version other schemas reference.
func checkNoReferrers(view meta.RegistryState, v meta.SchemaVersion) error {
	if ids := view.Referrers(v.Subject, v.Version); len(ids) > 0 {
		return newError(CodeReferenceExists, "One or more references exist to the schema {subject=%s,version=%d}: schema ids %v", v.Subject, v.Version, ids)
	}
	return nil
}

// checkWritable refuses changes in read-only mode.
func checkWritable(view meta.RegistryState, subject string) error {
	if m := effectiveMode(view, subject); m == "READONLY" || m == "READONLY_OVERRIDE" {
		return errNotPermitted("Subject %s is in read-only mode", subject)
	}
	return nil
}
