package schema

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/streamlite/streamlite/engine/meta"
	"github.com/streamlite/streamlite/engine/schema/compat"
)

// Defaults the registry answers when nothing is configured.
const (
	DefaultCompatibility = "BACKWARD"
	DefaultMode          = "READWRITE"
)

// Latest is the version number that means the newest live version, as
// "latest" and -1 do in Confluent's paths.
const Latest int32 = -1

// Registry is the schema registry over the metadata log: every change is a
// meta record (SchemaRegistered, SchemaDeleted, RegistryConfigChanged,
// RegistryModeChanged), so the registry's state is durable and survives
// restarts, and ids are global and stable. Its methods mirror the REST
// API's semantics (../shared/notes/schema-registry.md) and refuse requests
// with an *Error carrying Confluent's code.
//
// All methods are safe for concurrent use. Changes are serialized by a
// mutex held from reading the state through the metadata append (and its
// fsync), because the id and version a registration takes depend on the
// state it read; the metadata log has no compare-and-append. Reads answer
// from one consistent view of the log's state and never take the mutex,
// so they never wait for a change.
type Registry struct {
	log *meta.Log

	mu struct {
		sync.Mutex
		// parsed caches schemas by id: an id names one content for ever,
		// so an entry never goes stale.
		parsed map[int32]parsed
	}
}

// New returns a registry kept in log. The caller keeps log open while the
// registry is used.
func New(log *meta.Log) *Registry {
	r := &Registry{log: log}
	r.mu.parsed = map[int32]parsed{}
	return r
}

// SchemaInput is a schema as a client sends it: the text, its type
// (AVRO when empty) and its references; an importer (IMPORT mode) also
// gives its id and version.
type SchemaInput struct {
	Schema     string
	Type       string
	References []meta.SchemaReference
	// ID and Version, when above 0, are the id and version to register
	// with; only IMPORT mode takes them (Version 0 takes the next one).
	ID, Version int32
}

// SubjectVersion is one version of a subject with its schema, as GET
// /subjects/{s}/versions/{v} and the lookup answer it.
type SubjectVersion struct {
	Subject    string
	Version    int32
	ID         int32
	Type       string // AVRO, JSON or PROTOBUF
	Schema     string
	References []meta.SchemaReference
	Deleted    bool // soft-deleted
}

// Register registers in under subject and returns its id and version.
// Registering a schema already live in the subject returns that version
// and creates nothing; a schema registered under another subject keeps its
// id. Otherwise the schema must parse (42201) and pass the subject's
// compatibility level against its live versions (409), and the mode must
// allow writes (42205).
//
// In IMPORT mode the client gives the id (and optionally the version), as
// replication and migration tools do: there is no compatibility check,
// the id must be free or already name this schema, and the version must
// be above the subject's highest (42205 otherwise). As in Confluent, an
// id is refused outside IMPORT mode and required in it.
func (r *Registry) Register(subject string, in SchemaInput, normalize bool) (id, version int32, err error) {
	_ = normalize // see canonical's TODO
	if err := checkSubject(subject); err != nil {
		return 0, 0, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	view := r.log.Registry()
	mode := effectiveMode(view, subject)
	switch {
	case mode == "READONLY" || mode == "READONLY_OVERRIDE":
		return 0, 0, errNotPermitted("Subject %s is in read-only mode", subject)
	case mode == "IMPORT" && in.ID <= 0:
		return 0, 0, errNotPermitted("Subject %s is not in read-write mode; in import mode a schema needs its id", subject)
	case mode != "IMPORT" && (in.ID != 0 || in.Version != 0):
		return 0, 0, errNotPermitted("Subject %s is not in import mode; only an import gives an id or version", subject)
	}
	typ, text, refs, p, err := prepare(view, in)
	if err != nil {
		return 0, 0, err
	}
	versions, highest := view.Versions(subject)
	existing, known := view.SchemaID(typ, text, refs)
	if mode == "IMPORT" {
		return r.importLocked(view, subject, in, typ, text, refs, p, existing, known, highest)
	}
	if known {
		for _, v := range versions {
			if v.ID == existing && !v.Deleted {
				return existing, v.Version, nil
			}
		}
	}
	level := effectiveConfig(view, subject).Compatibility
	if ok, problems := r.checkLocked(view, compat.Level(level), typ, p, live(versions)); !ok {
		return 0, 0, incompatible(subject, problems)
	}
	id = existing
	if !known {
		id = view.NextID()
	}
	version = highest + 1
	rec := meta.SchemaRegistered{Subject: subject, Version: version, ID: id, SchemaType: typ, Schema: text, References: refs}
	if err := r.log.Append(rec); err != nil {
		return 0, 0, fmt.Errorf("schema: registering %q: %w", subject, err)
	}
	r.mu.parsed[id] = p
	return id, version, nil
}

// importLocked is Register in IMPORT mode. r.mu is held.
func (r *Registry) importLocked(view meta.RegistryState, subject string, in SchemaInput, typ, text string, refs []meta.SchemaReference, p parsed, existing int32, known bool, highest int32) (int32, int32, error) {
	if known && existing != in.ID {
		return 0, 0, errNotPermitted("Schema is already registered with id %d, not %d", existing, in.ID)
	}
	if !known {
		if _, taken := view.SchemaByID(in.ID); taken {
			return 0, 0, errNotPermitted("Overwrite new schema with id %d is not permitted", in.ID)
		}
	}
	version := in.Version
	if version == 0 {
		version = highest + 1
	}
	if version <= highest {
		return 0, 0, errNotPermitted("Version %d of subject %s cannot be imported: its versions go up to %d", version, subject, highest)
	}
	if live, _ := view.SubjectHolds(subject, in.ID); live {
		return 0, 0, errNotPermitted("Subject %s already holds schema id %d", subject, in.ID)
	}
	rec := meta.SchemaRegistered{Subject: subject, Version: version, ID: in.ID, SchemaType: typ, Schema: text, References: refs}
	if err := r.log.Append(rec); err != nil {
		return 0, 0, fmt.Errorf("schema: importing %q: %w", subject, err)
	}
	r.mu.parsed[in.ID] = p
	return in.ID, version, nil
}

// LookUp finds in among subject's live versions (POST /subjects/{s}):
// 40401 when the subject has none, 40403 when in is not one of them.
func (r *Registry) LookUp(subject string, in SchemaInput, normalize bool) (SubjectVersion, error) {
	_ = normalize
	view := r.log.Registry()
	versions, _ := view.Versions(subject)
	lv := live(versions)
	if len(lv) == 0 {
		return SubjectVersion{}, errSubjectNotFound(subject)
	}
	typ, text, refs, _, err := prepare(view, in)
	if err != nil {
		return SubjectVersion{}, err
	}
	id, ok := view.SchemaID(typ, text, refs)
	if ok {
		for _, v := range lv {
			if v.ID == id {
				return subjectVersion(view, v), nil
			}
		}
	}
	return SubjectVersion{}, errSchemaNotFound("Schema not found")
}

// SchemaByID returns the schema with id while some subject version, live
// or soft-deleted, holds it (40403 otherwise), as GET /schemas/ids/{id}.
func (r *Registry) SchemaByID(id int32) (meta.Schema, error) {
	view := r.log.Registry()
	s, ok := view.SchemaByID(id)
	if !ok || len(view.SchemaUses(id)) == 0 {
		return meta.Schema{}, errSchemaNotFound("Schema %d not found", id)
	}
	return s, nil
}

// SubjectVersions returns subject's version numbers, ascending: the live
// ones, or with deleted also the soft-deleted ones. 40401 when there are
// none.
func (r *Registry) SubjectVersions(subject string, deleted bool) ([]int32, error) {
	versions, _ := r.log.Registry().Versions(subject)
	var out []int32
	for _, v := range versions {
		if deleted || !v.Deleted {
			out = append(out, v.Version)
		}
	}
	if len(out) == 0 {
		return nil, errSubjectNotFound(subject)
	}
	return out, nil
}

// ParseVersion reads a version as the REST paths carry it: a number from
// 1 to 2^31-1, "latest" or -1 (both Latest). Anything else is 42202.
func ParseVersion(s string) (int32, error) {
	if s == "latest" || s == "-1" {
		return Latest, nil
	}
	var v int64
	if _, err := fmt.Sscan(s, &v); err != nil || fmt.Sprint(v) != s || v < 1 || v > 1<<31-1 {
		return 0, newError(CodeInvalidVersion, "The specified version '%s' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\"", s)
	}
	return int32(v), nil
}

// Version returns version v of subject (Latest: the newest live one).
// A soft-deleted version is found only with deleted. Errors: 42202 for a
// version below 1 other than Latest, 40401 when the subject has no
// (live, unless deleted) versions, 40402 when it lacks this one.
func (r *Registry) Version(subject string, v int32, deleted bool) (SubjectVersion, error) {
	if v < 1 && v != Latest {
		return SubjectVersion{}, newError(CodeInvalidVersion, "The specified version '%d' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\"", v)
	}
	view := r.log.Registry()
	sv, err := findVersion(view, subject, v, deleted)
	if err != nil {
		return SubjectVersion{}, err
	}
	return subjectVersion(view, sv), nil
}

// Subjects returns the subjects starting with prefix that have a live
// version, or with deleted any version, sorted.
func (r *Registry) Subjects(prefix string, deleted bool) []string {
	view := r.log.Registry()
	var out []string
	for _, s := range view.Subjects() {
		if !strings.HasPrefix(s, prefix) {
			continue
		}
		versions, _ := view.Versions(s)
		if deleted || len(live(versions)) > 0 {
			out = append(out, s)
		}
	}
	return out
}

// Schemas lists the versions of every subject whose name starts with
// prefix, subjects sorted and versions ascending: the live ones, the
// soft-deleted ones too with deleted, and with latestOnly only each
// subject's newest of those.
func (r *Registry) Schemas(prefix string, deleted, latestOnly bool) []SubjectVersion {
	view := r.log.Registry()
	var out []SubjectVersion
	for _, s := range view.Subjects() {
		if !strings.HasPrefix(s, prefix) {
			continue
		}
		vs, _ := view.Versions(s)
		if !deleted {
			vs = live(vs)
		}
		if latestOnly && len(vs) > 0 {
			vs = vs[len(vs)-1:]
		}
		for _, v := range vs {
			out = append(out, subjectVersion(view, v))
		}
	}
	return out
}

// findVersion finds version v (or Latest) of subject; a soft-deleted one
// only with deleted. Latest is the newest live version, or with deleted
// the newest of all.
func findVersion(view meta.RegistryState, subject string, v int32, deleted bool) (meta.SchemaVersion, error) {
	versions, _ := view.Versions(subject)
	if !deleted {
		versions = live(versions)
	}
	if len(versions) == 0 {
		return meta.SchemaVersion{}, errSubjectNotFound(subject)
	}
	if v == Latest {
		return versions[len(versions)-1], nil
	}
	i := slices.IndexFunc(versions, func(sv meta.SchemaVersion) bool { return sv.Version == v })
	if i < 0 {
		return meta.SchemaVersion{}, errVersionNotFound(v)
	}
	return versions[i], nil
}

// checkSubject refuses subject names the registry does not serve: empty,
// not UTF-8, with control characters, or in a context other than the
// default one (":.ctx:subject").
func checkSubject(subject string) error {
	bad := subject == "" || !utf8.ValidString(subject) || strings.HasPrefix(subject, ":.") ||
		strings.ContainsFunc(subject, func(r rune) bool { return r < 0x20 || r == 0x7f })
	if bad {
		return newError(CodeInvalidSubject, "The specified subject '%s' is not valid.", subject)
	}
	return nil
}

func live(versions []meta.SchemaVersion) []meta.SchemaVersion {
	var out []meta.SchemaVersion
	for _, v := range versions {
		if !v.Deleted {
			out = append(out, v)
		}
	}
	return out
}

func subjectVersion(view meta.RegistryState, v meta.SchemaVersion) SubjectVersion {
	s, _ := view.SchemaByID(v.ID)
	return SubjectVersion{Subject: v.Subject, Version: v.Version, ID: v.ID, Type: s.Type, Schema: s.Text, References: s.References, Deleted: v.Deleted}
}
