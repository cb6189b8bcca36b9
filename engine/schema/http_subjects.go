package schema

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/streamlite/streamlite/engine/meta"
)

// The REST endpoints on schemas and subjects: /schemas/types,
// /schemas/ids/{id}[/schema|/subjects|/versions], /subjects and
// /subjects/{s}[/versions[/{v}[/schema|/referencedby]]].

// schemaBody is a schema as clients send it (register, lookup,
// compatibility). metadata and ruleSet are accepted and not kept.
type schemaBody struct {
	Schema     string          `json:"schema"`
	SchemaType string          `json:"schemaType"`
	References []referenceJSON `json:"references"`
	// ID and Version are given when importing (IMPORT mode).
	ID      int32 `json:"id"`
	Version int32 `json:"version"`
}

// referenceJSON is a schema reference on the wire.
type referenceJSON struct {
	Name    string `json:"name"`
	Subject string `json:"subject"`
	Version int32  `json:"version"`
}

// schemaJSON is GET /schemas/ids/{id}: schemaType is omitted for AVRO,
// as Confluent 7.x, Karapace and Redpanda answer.
type schemaJSON struct {
	Schema     string          `json:"schema"`
	SchemaType string          `json:"schemaType,omitempty"`
	References []referenceJSON `json:"references,omitempty"`
}

// subjectVersionJSON is GET /subjects/{s}/versions/{v} and the lookup's
// answer.
type subjectVersionJSON struct {
	Subject    string          `json:"subject"`
	Version    int32           `json:"version"`
	ID         int32           `json:"id"`
	SchemaType string          `json:"schemaType,omitempty"`
	References []referenceJSON `json:"references,omitempty"`
	Schema     string          `json:"schema"`
}

func (b schemaBody) input() SchemaInput {
	in := SchemaInput{Schema: b.Schema, Type: b.SchemaType, ID: b.ID, Version: b.Version}
	for _, ref := range b.References {
		in.References = append(in.References, meta.SchemaReference{Name: ref.Name, Subject: ref.Subject, Version: ref.Version})
	}
	return in
}

func referencesJSON(refs []meta.SchemaReference) []referenceJSON {
	var out []referenceJSON
	for _, ref := range refs {
		out = append(out, referenceJSON{Name: ref.Name, Subject: ref.Subject, Version: ref.Version})
	}
	return out
}

// wireType is schemaType as answered: empty (omitted) for AVRO.
func wireType(typ string) string {
	if typ == meta.SchemaTypeAvro {
		return ""
	}
	return typ
}

func toSubjectVersionJSON(sv SubjectVersion) subjectVersionJSON {
	return subjectVersionJSON{Subject: sv.Subject, Version: sv.Version, ID: sv.ID, SchemaType: wireType(sv.Type), References: referencesJSON(sv.References), Schema: sv.Schema}
}

// rawSchema is an answer written as the schema's own text, unquoted (the
// /schema endpoints, as Confluent answers them): a JSON document for AVRO
// and JSON, the .proto text for PROTOBUF.
type rawSchema string

func (h *handler) schemaRoutes() {
	h.handle("GET /schemas", func(r *http.Request) (any, error) {
		q := r.URL.Query()
		svs := h.reg.Schemas(q.Get("subjectPrefix"), boolParam(r, "deleted"), boolParam(r, "latestOnly"))
		out := make([]subjectVersionJSON, len(svs))
		for i, sv := range svs {
			out[i] = toSubjectVersionJSON(sv)
		}
		return page(r, out)
	})
	h.handle("GET /contexts", func(*http.Request) (any, error) {
		// Only the default context exists.
		return []string{"."}, nil
	})
	h.handle("GET /schemas/types", func(*http.Request) (any, error) {
		return []string{meta.SchemaTypeJSON, meta.SchemaTypeProtobuf, meta.SchemaTypeAvro}, nil
	})
	h.handle("GET /schemas/ids/{id}", func(r *http.Request) (any, error) {
		s, err := h.schemaByID(r)
		if err != nil {
			return nil, err
		}
		return schemaJSON{Schema: s.Text, SchemaType: wireType(s.Type), References: referencesJSON(s.References)}, nil
	})
	h.handle("GET /schemas/ids/{id}/schema", func(r *http.Request) (any, error) {
		s, err := h.schemaByID(r)
		if err != nil {
			return nil, err
		}
		return rawSchema(s.Text), nil
	})
	h.handle("GET /schemas/ids/{id}/subjects", func(r *http.Request) (any, error) {
		uses, err := h.schemaVersions(r)
		if err != nil {
			return nil, err
		}
		out := []string{}
		for _, v := range uses {
			if !slices.Contains(out, v.Subject) {
				out = append(out, v.Subject)
			}
		}
		return out, nil
	})
	h.handle("GET /schemas/ids/{id}/versions", func(r *http.Request) (any, error) {
		uses, err := h.schemaVersions(r)
		if err != nil {
			return nil, err
		}
		type subjectVersion struct {
			Subject string `json:"subject"`
			Version int32  `json:"version"`
		}
		out := []subjectVersion{}
		for _, v := range uses {
			out = append(out, subjectVersion{v.Subject, v.Version})
		}
		return out, nil
	})
}

// schemaID reads {id}; one that is not a positive number is an unknown
// schema (40403).
func schemaID(r *http.Request) (int32, error) {
	s := r.PathValue("id")
	id, err := strconv.ParseInt(s, 10, 32)
	if err != nil || id < 1 {
		return 0, errSchemaNotFound("Schema %s not found", s)
	}
	return int32(id), nil
}

func (h *handler) schemaByID(r *http.Request) (meta.Schema, error) {
	id, err := schemaID(r)
	if err != nil {
		return meta.Schema{}, err
	}
	return h.reg.SchemaByID(id)
}

// schemaVersions is SchemaVersions for {id}, narrowed to ?subject= when
// given.
func (h *handler) schemaVersions(r *http.Request) ([]meta.SchemaVersion, error) {
	id, err := schemaID(r)
	if err != nil {
		return nil, err
	}
	uses, err := h.reg.SchemaVersions(id, boolParam(r, "deleted"))
	if err != nil {
		return nil, err
	}
	if subject := r.URL.Query().Get("subject"); subject != "" {
		uses = slices.DeleteFunc(uses, func(v meta.SchemaVersion) bool { return v.Subject != subject })
	}
	return uses, nil
}

func (h *handler) subjectRoutes() {
	h.handle("GET /subjects", func(r *http.Request) (any, error) {
		q := r.URL.Query()
		prefix := q.Get("subjectPrefix")
		var out []string
		if boolParam(r, "deletedOnly") {
			live := h.reg.Subjects(prefix, false)
			for _, s := range h.reg.Subjects(prefix, true) {
				if !slices.Contains(live, s) {
					out = append(out, s)
				}
			}
		} else {
			out = h.reg.Subjects(prefix, boolParam(r, "deleted"))
		}
		return page(r, out)
	})
	h.handle("POST /subjects/{subject}", func(r *http.Request) (any, error) {
		var body schemaBody
		if err := decodeBody(r, &body); err != nil {
			return nil, err
		}
		sv, err := h.reg.LookUp(r.PathValue("subject"), body.input(), boolParam(r, "normalize"))
		if err != nil {
			return nil, err
		}
		return toSubjectVersionJSON(sv), nil
	})
	h.handle("DELETE /subjects/{subject}", func(r *http.Request) (any, error) {
		vs, err := h.reg.DeleteSubject(r.PathValue("subject"), boolParam(r, "permanent"))
		return nonNil(vs), err
	})
	h.handle("GET /subjects/{subject}/versions", func(r *http.Request) (any, error) {
		subject := r.PathValue("subject")
		deletedOnly := boolParam(r, "deletedOnly")
		if !deletedOnly && !boolParam(r, "deleted") {
			vs, err := h.reg.SubjectVersions(subject, false)
			if err != nil {
				return nil, err
			}
			return page(r, vs)
		}
		all, err := h.reg.SubjectVersions(subject, true)
		if err != nil {
			return nil, err
		}
		live, _ := h.reg.SubjectVersions(subject, false) // 40401 when none is live: all are deleted
		out := make([]int32, 0, len(all))
		negative := boolParam(r, "deletedAsNegative")
		for _, v := range all {
			switch isLive := slices.Contains(live, v); {
			case isLive && deletedOnly:
			case !isLive && negative:
				out = append(out, -v)
			default:
				out = append(out, v)
			}
		}
		return page(r, out)
	})
	h.handle("POST /subjects/{subject}/versions", func(r *http.Request) (any, error) {
		var body schemaBody
		if err := decodeBody(r, &body); err != nil {
			return nil, err
		}
		id, _, err := h.reg.Register(r.PathValue("subject"), body.input(), boolParam(r, "normalize"))
		if err != nil {
			return nil, err
		}
		return struct {
			ID int32 `json:"id"`
		}{id}, nil
	})
	h.handle("GET /subjects/{subject}/versions/{version}", func(r *http.Request) (any, error) {
		sv, err := h.version(r)
		if err != nil {
			return nil, err
		}
		return toSubjectVersionJSON(sv), nil
	})
	h.handle("GET /subjects/{subject}/versions/{version}/schema", func(r *http.Request) (any, error) {
		sv, err := h.version(r)
		if err != nil {
			return nil, err
		}
		return rawSchema(sv.Schema), nil
	})
	h.handle("DELETE /subjects/{subject}/versions/{version}", func(r *http.Request) (any, error) {
		v, err := ParseVersion(r.PathValue("version"))
		if err != nil {
			return nil, err
		}
		return h.reg.DeleteVersion(r.PathValue("subject"), v, boolParam(r, "permanent"))
	})
	h.handle("GET /subjects/{subject}/versions/{version}/referencedby", func(r *http.Request) (any, error) {
		v, err := ParseVersion(r.PathValue("version"))
		if err != nil {
			return nil, err
		}
		ids, err := h.reg.ReferencedBy(r.PathValue("subject"), v)
		if err != nil {
			return nil, err
		}
		return page(r, ids)
	})
}

// version is Version for {subject} and {version}, with ?deleted=.
func (h *handler) version(r *http.Request) (SubjectVersion, error) {
	v, err := ParseVersion(r.PathValue("version"))
	if err != nil {
		return SubjectVersion{}, err
	}
	return h.reg.Version(r.PathValue("subject"), v, boolParam(r, "deleted"))
}

// page applies Confluent's paging parameters to a listing: skip ?offset=
// items (default 0), then keep at most ?limit= (default, and -1, all). A
// value that is not such a number is 400.
func page[T any](r *http.Request, s []T) ([]T, error) {
	q := r.URL.Query()
	offset, limit := 0, -1
	if v := q.Get("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, &Error{Code: codeBadRequest, Message: fmt.Sprintf("Invalid offset %q: want a number from 0", v)}
		}
		offset = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < -1 {
			return nil, &Error{Code: codeBadRequest, Message: fmt.Sprintf("Invalid limit %q: want a number from 0, or -1 for all", v)}
		}
		limit = n
	}
	s = s[min(offset, len(s)):]
	if limit >= 0 && limit < len(s) {
		s = s[:limit]
	}
	return nonNil(s), nil
}

// nonNil makes an empty list answer [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
