package schema

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/streamlite/streamlite/engine/meta"
	"github.com/streamlite/streamlite/engine/schema/compat"
)

// prepare checks and parses a schema a client sent: its type, references
// (resolved to live versions; Latest becomes the version it names) and
// text. It returns the type, the text to store and the references to
// store. It needs no lock: it reads only view.
func prepare(view meta.RegistryState, in SchemaInput) (typ, text string, refs []meta.SchemaReference, p parsed, err error) {
	typ = strings.ToUpper(in.Type)
	if typ == "" {
		typ = meta.SchemaTypeAvro
	}
	switch typ {
	case meta.SchemaTypeAvro, meta.SchemaTypeJSON, meta.SchemaTypeProtobuf:
	default:
		return "", "", nil, p, errInvalidSchema("Invalid schema type %s", in.Type)
	}
	if strings.TrimSpace(in.Schema) == "" || !utf8.ValidString(in.Schema) {
		return "", "", nil, p, errInvalidSchema("Empty schema")
	}
	for _, ref := range in.References {
		if ref.Name == "" || ref.Subject == "" {
			return "", "", nil, p, errInvalidSchema("Invalid schema reference %+v: name and subject are required", ref)
		}
		sv, err := findVersion(view, ref.Subject, ref.Version, false)
		if err != nil {
			return "", "", nil, p, errInvalidSchema("Invalid schema reference %s to subject %s version %d: %s", ref.Name, ref.Subject, ref.Version, err.(*Error).Message)
		}
		refs = append(refs, meta.SchemaReference{Name: ref.Name, Subject: ref.Subject, Version: sv.Version})
	}
	deps, err := resolve(view, refs, map[[2]string]bool{})
	if err != nil {
		return "", "", nil, p, err
	}
	p, err = parse(typ, in.Schema, deps)
	if err != nil {
		return "", "", nil, p, err
	}
	return typ, canonical(typ, in.Schema), refs, p, nil
}

// resolve returns the schemas refs name and, before each, what it depends
// on itself, each once. Soft-deleted versions resolve (a stored schema may
// reference one deleted since); hard-deleted ones cannot be referenced.
func resolve(view meta.RegistryState, refs []meta.SchemaReference, seen map[[2]string]bool) ([]dep, error) {
	var out []dep
	for _, ref := range refs {
		key := [2]string{ref.Subject, fmt.Sprint(ref.Version)}
		if seen[key] {
			continue
		}
		seen[key] = true
		sv, err := findVersion(view, ref.Subject, ref.Version, true)
		if err != nil {
			return nil, errInvalidSchema("Invalid schema reference %s to subject %s version %d", ref.Name, ref.Subject, ref.Version)
		}
		s, _ := view.SchemaByID(sv.ID)
		inner, err := resolve(view, s.References, seen)
		if err != nil {
			return nil, err
		}
		out = append(out, inner...)
		out = append(out, dep{name: ref.Name, subject: ref.Subject, version: sv.Version, text: s.Text})
	}
	return out, nil
}

// checkLocked runs the compatibility check of a new schema against the
// subject's live versions, parsing them (through the cache) as needed.
// r.mu is held.
func (r *Registry) checkLocked(view meta.RegistryState, level compat.Level, typ string, next parsed, previous []meta.SchemaVersion) (bool, []compat.Problem) {
	if level == compat.None || len(previous) == 0 {
		return true, nil
	}
	var prev []compat.Version[parsed]
	for _, v := range previous {
		p, err := r.parsedLocked(view, v.ID)
		if err != nil {
			// A stored schema that no longer parses (a parser got stricter):
			// report it rather than let anything through.
			return false, []compat.Problem{{Change: compat.Change{Type: "STORED_SCHEMA_UNREADABLE", Path: "#/", Description: err.Error()}, Version: int(v.Version), Direction: string(level)}}
		}
		prev = append(prev, compat.Version[parsed]{Version: int(v.Version), Schema: p, Type: p.typ})
	}
	return compat.Check(level, backward, typ, next, prev)
}

// parsedLocked returns stored schema id, parsed. r.mu is held.
func (r *Registry) parsedLocked(view meta.RegistryState, id int32) (parsed, error) {
	if p, ok := r.mu.parsed[id]; ok {
		return p, nil
	}
	s, ok := view.SchemaByID(id)
	if !ok {
		return parsed{}, fmt.Errorf("schema: stored schema %d missing", id)
	}
	deps, err := resolve(view, s.References, map[[2]string]bool{})
	if err != nil {
		return parsed{}, err
	}
	p, err := parse(s.Type, s.Text, deps)
	if err != nil {
		return parsed{}, err
	}
	r.mu.parsed[id] = p
	return p, nil
}

// incompatible is the 409 for problems.
func incompatible(subject string, problems []compat.Problem) *Error {
	msgs := make([]string, len(problems))
	for i, p := range problems {
		msgs[i] = p.Message()
	}
	e := newError(CodeIncompatible, "Schema being registered is incompatible with an earlier schema for subject \"%s\", details: [%s]", subject, strings.Join(msgs, ", "))
	e.Messages = msgs
	return e
}
