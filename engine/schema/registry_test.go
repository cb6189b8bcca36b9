package schema

import (
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/streamlite/streamlite/engine/meta"
)

// fixture is a registry on a metadata log in a temporary directory, which
// reopen closes and opens again, as a restart does.
type fixture struct {
	t   testing.TB
	dir string
	log *meta.Log
	*Registry
}

func newFixture(t testing.TB) *fixture {
	f := &fixture{t: t, dir: filepath.Join(t.TempDir(), "meta")}
	f.open()
	t.Cleanup(func() { f.log.Close() })
	return f
}

func (f *fixture) open() {
	l, err := meta.OpenOptions(f.dir, meta.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		f.t.Fatal(err)
	}
	f.log, f.Registry = l, New(l)
}

func (f *fixture) reopen() {
	f.t.Helper()
	if err := f.log.Close(); err != nil {
		f.t.Fatal(err)
	}
	f.open()
}

func (f *fixture) register(subject, schema string, want ...int32) (id, version int32) {
	f.t.Helper()
	return f.registerInput(subject, SchemaInput{Schema: schema}, want...)
}

// registerInput registers and, when want is (id, version), checks them.
func (f *fixture) registerInput(subject string, in SchemaInput, want ...int32) (id, version int32) {
	f.t.Helper()
	id, version, err := f.Register(subject, in, false)
	if err != nil {
		f.t.Fatalf("Register(%s, %s): %v", subject, in.Schema, err)
	}
	if len(want) == 2 && (id != want[0] || version != want[1]) {
		f.t.Fatalf("Register(%s, %s) = id %d version %d, want %d %d", subject, in.Schema, id, version, want[0], want[1])
	}
	return id, version
}

// wantCode fails unless err is an *Error with code.
func wantCode(t *testing.T, err error, code int) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e.Code != code {
		t.Fatalf("got %v, want error code %d", err, code)
	}
}

const (
	recV1      = `{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}`
	recV2      = `{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"b","type":"string","default":""}]}`
	recNoDeflt = `{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"c","type":"string"}]}`
)

func TestRegisterIDsAndVersions(t *testing.T) {
	f := newFixture(t)
	f.register("s1", recV1, 1, 1)
	last := f.log.LastIndex()
	f.register("s1", recV1, 1, 1)                                                                                        // idempotent
	f.register("s1", "{ \"type\": \"record\", \"name\":\"R\",\n \"fields\":[{\"name\":\"a\",\"type\":\"int\"}] }", 1, 1) // whitespace only
	if f.log.LastIndex() != last {
		t.Fatal("registering a live schema again appended a record")
	}
	f.register("s2", recV1, 1, 1) // another subject: the same id
	f.register("s1", recV2, 2, 2)
	f.register("s3", `"string"`, 3, 1)
	if got := f.Subjects("", false); !reflect.DeepEqual(got, []string{"s1", "s2", "s3"}) {
		t.Fatalf("subjects %v", got)
	}
	if got := f.Subjects("s1", false); !reflect.DeepEqual(got, []string{"s1"}) {
		t.Fatalf("prefix: %v", got)
	}
	v, err := f.Version("s1", Latest, false)
	if err != nil || v.Version != 2 || v.ID != 2 || v.Type != "AVRO" || v.Schema != recV2 {
		t.Fatalf("latest: %+v %v", v, err)
	}
	s, err := f.SchemaByID(1)
	if err != nil || s.Text != recV1 {
		t.Fatalf("by id: %+v %v", s, err)
	}
	_, err = f.SchemaByID(99)
	wantCode(t, err, CodeSchemaNotFound)

	got, err := f.LookUp("s2", SchemaInput{Schema: recV1}, false)
	if err != nil || got.ID != 1 || got.Version != 1 || got.Subject != "s2" {
		t.Fatalf("lookup: %+v %v", got, err)
	}
	_, err = f.LookUp("s2", SchemaInput{Schema: recV2}, false)
	wantCode(t, err, CodeSchemaNotFound)
	_, err = f.LookUp("nope", SchemaInput{Schema: recV1}, false)
	wantCode(t, err, CodeSubjectNotFound)
}

func TestRegisterRefusals(t *testing.T) {
	f := newFixture(t)
	f.register("s", recV1)
	before := f.log.LastIndex()
	for _, c := range []struct {
		name    string
		subject string
		in      SchemaInput
		code    int
	}{
		{"malformed avro", "s", SchemaInput{Schema: `{"type":"record"`}, CodeInvalidSchema},
		{"unknown avro type", "s", SchemaInput{Schema: `"uint"`}, CodeInvalidSchema},
		{"empty", "s", SchemaInput{Schema: " "}, CodeInvalidSchema},
		{"unknown schema type", "s", SchemaInput{Schema: `"int"`, Type: "XML"}, CodeInvalidSchema},
		{"reference to nothing", "s", SchemaInput{Schema: `"int"`, References: []meta.SchemaReference{{Name: "X", Subject: "none", Version: 1}}}, CodeInvalidSchema},
		{"empty subject", "", SchemaInput{Schema: `"int"`}, CodeInvalidSubject},
		{"other context", ":.other:s", SchemaInput{Schema: `"int"`}, CodeInvalidSubject},
		{"incompatible", "s", SchemaInput{Schema: recNoDeflt}, CodeIncompatible},
	} {
		_, _, err := f.Register(c.subject, c.in, false)
		wantCode(t, err, c.code)
	}
	if f.log.LastIndex() != before {
		t.Fatal("a refused registration changed the log")
	}
}

// TestCompatibility: BACKWARD by default; the 409 names every problem;
// a subject's level overrides the global one; NONE lets anything through;
// a change of format is refused.
func TestCompatibility(t *testing.T) {
	f := newFixture(t)
	f.register("s", recV1)
	_, _, err := f.Register("s", SchemaInput{Schema: recNoDeflt}, false)
	wantCode(t, err, CodeIncompatible)
	var e *Error
	errors.As(err, &e)
	if e.Status() != 409 || len(e.Messages) != 1 || !strings.Contains(e.Messages[0], "READER_FIELD_MISSING_DEFAULT_VALUE") ||
		!strings.Contains(e.Message, `incompatible with an earlier schema for subject "s"`) {
		t.Fatalf("409: %+v", e)
	}
	_, _, err = f.Register("s", SchemaInput{Schema: `{"type":"string"}`, Type: "JSON"}, false)
	wantCode(t, err, CodeIncompatible)
	if _, err := f.SetConfig("s", "none", nil); err != nil {
		t.Fatal(err)
	}
	f.register("s", recNoDeflt, 2, 2)
	// FORWARD: the latest (recNoDeflt) must read data written with the
	// new schema, which lacks c.
	if _, err := f.SetConfig("s", "FORWARD", nil); err != nil {
		t.Fatal(err)
	}
	f.register("s", recV1, 1, 1) // live as version 1: returned as it is, with no check
	_, _, err = f.Register("s", SchemaInput{Schema: `{"type":"record","name":"R","fields":[{"name":"a","type":"long"}]}`}, false)
	wantCode(t, err, CodeIncompatible)
	f.register("s", `{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"c","type":"string"},{"name":"d","type":"int"}]}`, 3, 3)
}

// TestTransitive follows the notes' transitive case (3.3): v3 drops f2's
// default; BACKWARD accepts it, BACKWARD_TRANSITIVE does not.
func TestTransitive(t *testing.T) {
	v1 := `{"type":"record","name":"R","fields":[{"name":"f1","type":"int"}]}`
	v2 := `{"type":"record","name":"R","fields":[{"name":"f1","type":"int"},{"name":"f2","type":"int","default":0}]}`
	v3 := `{"type":"record","name":"R","fields":[{"name":"f1","type":"int"},{"name":"f2","type":"int"}]}`
	for _, c := range []struct {
		level string
		ok    bool
	}{{"BACKWARD", true}, {"BACKWARD_TRANSITIVE", false}, {"FULL_TRANSITIVE", false}} {
		f := newFixture(t)
		if _, err := f.SetConfig("", c.level, nil); err != nil {
			t.Fatal(err)
		}
		f.register("s", v1)
		f.register("s", v2)
		_, _, err := f.Register("s", SchemaInput{Schema: v3}, false)
		if c.ok != (err == nil) {
			t.Errorf("%s: %v", c.level, err)
		}
	}
}

// TestVersionsNeverReused: per the notes (1.2, IDs), a hard-deleted
// version's number is not given out again, also after the whole subject
// is hard-deleted; a schema registered again keeps its id.
func TestVersionsNeverReused(t *testing.T) {
	f := newFixture(t)
	f.register("s", recV1, 1, 1)
	f.register("s", recV2, 2, 2)
	if v, err := f.DeleteVersion("s", 2, false); err != nil || v != 2 {
		t.Fatalf("soft delete: %d %v", v, err)
	}
	if v, err := f.DeleteVersion("s", 2, true); err != nil || v != 2 {
		t.Fatalf("hard delete: %d %v", v, err)
	}
	f.register("s", recV2, 2, 3)
	if vs, err := f.DeleteSubject("s", false); err != nil || !reflect.DeepEqual(vs, []int32{1, 3}) {
		t.Fatalf("soft delete subject: %v %v", vs, err)
	}
	if vs, err := f.DeleteSubject("s", true); err != nil || !reflect.DeepEqual(vs, []int32{1, 3}) {
		t.Fatalf("hard delete subject: %v %v", vs, err)
	}
	_, err := f.SchemaByID(1)
	wantCode(t, err, CodeSchemaNotFound) // no version holds it
	f.register("s", recV1, 1, 4)
}

func TestDeleteRules(t *testing.T) {
	f := newFixture(t)
	f.register("s", recV1)
	f.register("s", recV2)
	_, err := f.DeleteSubject("nope", false)
	wantCode(t, err, CodeSubjectNotFound)
	_, err = f.DeleteSubject("s", true)
	wantCode(t, err, CodeSubjectNotSoftDeleted)
	_, err = f.DeleteVersion("s", 1, true)
	wantCode(t, err, CodeVersionNotSoftDeleted)
	_, err = f.DeleteVersion("s", 7, false)
	wantCode(t, err, CodeVersionNotFound)
	_, err = f.DeleteVersion("s", 0, false)
	wantCode(t, err, CodeInvalidVersion)
	if v, err := f.DeleteVersion("s", Latest, false); err != nil || v != 2 {
		t.Fatalf("delete latest: %d %v", v, err)
	}
	_, err = f.DeleteVersion("s", 2, false)
	wantCode(t, err, CodeVersionSoftDeleted)
	// Soft-deleted versions are hidden unless asked for.
	_, err = f.Version("s", 2, false)
	wantCode(t, err, CodeVersionNotFound)
	if v, err := f.Version("s", 2, true); err != nil || !v.Deleted {
		t.Fatalf("deleted version: %+v %v", v, err)
	}
	if vs, _ := f.SubjectVersions("s", false); !reflect.DeepEqual(vs, []int32{1}) {
		t.Fatalf("versions %v", vs)
	}
	if vs, _ := f.SubjectVersions("s", true); !reflect.DeepEqual(vs, []int32{1, 2}) {
		t.Fatalf("versions with deleted %v", vs)
	}
	if _, err := f.SchemaByID(2); err != nil {
		t.Fatalf("a soft-deleted version's id still resolves: %v", err)
	}
	if _, err := f.DeleteSubject("s", false); err != nil {
		t.Fatal(err)
	}
	_, err = f.DeleteSubject("s", false)
	wantCode(t, err, CodeSubjectSoftDeleted)
	if got := f.Subjects("", false); got != nil {
		t.Fatalf("soft-deleted subject listed: %v", got)
	}
	if got := f.Subjects("", true); !reflect.DeepEqual(got, []string{"s"}) {
		t.Fatalf("with deleted: %v", got)
	}
	_, err = f.SubjectVersions("s", false)
	wantCode(t, err, CodeSubjectNotFound)
}

// TestReferences: an Avro schema using a type of another subject; Latest
// in a reference is stored as the version it named; the referenced
// version cannot be deleted while the referrer exists.
func TestReferences(t *testing.T) {
	f := newFixture(t)
	f.register("inner", `{"type":"record","name":"Inner","namespace":"x","fields":[{"name":"n","type":"int"}]}`)
	outer := SchemaInput{
		Schema:     `{"type":"record","name":"Outer","fields":[{"name":"i","type":"x.Inner"}]}`,
		References: []meta.SchemaReference{{Name: "x.Inner", Subject: "inner", Version: Latest}},
	}
	id, _ := f.registerInput("outer", outer, 2, 1)
	s, err := f.SchemaByID(id)
	if err != nil || !reflect.DeepEqual(s.References, []meta.SchemaReference{{Name: "x.Inner", Subject: "inner", Version: 1}}) {
		t.Fatalf("stored references %+v %v", s.References, err)
	}
	f.registerInput("outer", outer, 2, 1) // the same, with Latest resolved again
	_, err = f.DeleteVersion("inner", 1, false)
	wantCode(t, err, CodeReferenceExists)
	_, err = f.DeleteSubject("inner", false)
	wantCode(t, err, CodeReferenceExists)
	// Without the reference the type is unknown.
	_, _, err = f.Register("other", SchemaInput{Schema: outer.Schema}, false)
	wantCode(t, err, CodeInvalidSchema)
	// Checking a new version parses the old one with its references.
	outer2 := outer
	outer2.Schema = `{"type":"record","name":"Outer","fields":[{"name":"i","type":"x.Inner"},{"name":"j","type":"int","default":1}]}`
	f.reopen()
	f.registerInput("outer", outer2, 3, 2)
}

func TestOtherFormats(t *testing.T) {
	f := newFixture(t)
	f.registerInput("j", SchemaInput{Schema: `{"type":"object","properties":{"a":{"type":"string"}}}`, Type: "JSON"}, 1, 1)
	f.registerInput("j", SchemaInput{Schema: `{"type":"object","properties":{"a":{"type":"string"}}, "additionalProperties": true}`, Type: "json"}, 2, 2)
	_, _, err := f.Register("j", SchemaInput{Schema: `{"type":"object","properties":{"a":{"type":"integer"}}}`, Type: "JSON"}, false)
	wantCode(t, err, CodeIncompatible)
	_, _, err = f.Register("j", SchemaInput{Schema: `{"type": 12}`, Type: "JSON"}, false)
	wantCode(t, err, CodeInvalidSchema)

	p1 := `syntax = "proto3"; package p; message M { string a = 1; }`
	f.registerInput("p", SchemaInput{Schema: p1, Type: "PROTOBUF"}, 3, 1)
	f.registerInput("p", SchemaInput{Schema: `syntax = "proto3"; package p; message M { string a = 1; int32 b = 2; }`, Type: "PROTOBUF"}, 4, 2)
	_, _, err = f.Register("p", SchemaInput{Schema: `syntax = "proto3"; package p; message M { int64 a = 1; }`, Type: "PROTOBUF"}, false)
	wantCode(t, err, CodeIncompatible)
	_, _, err = f.Register("p", SchemaInput{Schema: `message {`, Type: "PROTOBUF"}, false)
	wantCode(t, err, CodeInvalidSchema)
}

func TestConfigAndMode(t *testing.T) {
	f := newFixture(t)
	if c, err := f.GetConfig("", false); err != nil || c.Compatibility != "BACKWARD" {
		t.Fatalf("default config %+v %v", c, err)
	}
	_, err := f.GetConfig("s", false)
	wantCode(t, err, CodeSubjectConfigNotFound)
	if c, err := f.GetConfig("s", true); err != nil || c.Compatibility != "BACKWARD" {
		t.Fatalf("default to global %+v %v", c, err)
	}
	_, err = f.SetConfig("s", "SIDEWAYS", nil)
	wantCode(t, err, CodeInvalidCompatibilityLevel)
	yes := true
	if c, err := f.SetConfig("s", "full_transitive", &yes); err != nil || c.Compatibility != "FULL_TRANSITIVE" || !*c.Normalize {
		t.Fatalf("set %+v %v", c, err)
	}
	if c, err := f.SetConfig("s", "FULL", nil); err != nil || c.Normalize == nil || !*c.Normalize {
		t.Fatalf("normalize kept: %+v %v", c, err)
	}
	if _, err := f.SetConfig("", "NONE", nil); err != nil {
		t.Fatal(err)
	}
	f.reopen()
	if c, _ := f.GetConfig("s", false); c.Compatibility != "FULL" {
		t.Fatalf("after restart: %+v", c)
	}
	if c, err := f.DeleteConfig("s"); err != nil || c.Compatibility != "FULL" {
		t.Fatalf("delete: %+v %v", c, err)
	}
	_, err = f.DeleteConfig("s")
	wantCode(t, err, CodeSubjectNotFound)
	if c, _ := f.GetConfig("s", true); c.Compatibility != "NONE" {
		t.Fatalf("global after subject delete: %+v", c)
	}
	if c, err := f.DeleteConfig(""); err != nil || c.Compatibility != "NONE" {
		t.Fatalf("delete global: %+v %v", c, err)
	}
	if c, _ := f.GetConfig("", false); c.Compatibility != "BACKWARD" {
		t.Fatalf("global back to the default: %+v", c)
	}

	if m, err := f.GetMode("", false); err != nil || m != "READWRITE" {
		t.Fatalf("default mode %q %v", m, err)
	}
	_, err = f.GetMode("s", false)
	wantCode(t, err, CodeSubjectModeNotFound)
	_, err = f.SetMode("s", "WRITEONLY", false)
	wantCode(t, err, CodeInvalidMode)
	f.register("s", recV1)
	if _, err := f.SetMode("s", "readonly", false); err != nil {
		t.Fatal(err)
	}
	_, _, err = f.Register("s", SchemaInput{Schema: recV2}, false)
	wantCode(t, err, CodeOperationNotPermitted)
	_, err = f.DeleteSubject("s", false)
	wantCode(t, err, CodeOperationNotPermitted)
	f.register("t", recV1) // other subjects stay writable
	_, err = f.SetMode("", "IMPORT", false)
	wantCode(t, err, CodeOperationNotPermitted)
	if m, err := f.SetMode("empty", "IMPORT", false); err != nil || m != "IMPORT" {
		t.Fatalf("import on an empty subject: %q %v", m, err)
	}
	if m, err := f.DeleteMode("s"); err != nil || m != "READONLY" {
		t.Fatalf("delete mode %q %v", m, err)
	}
	f.register("s", recV2)
	// A hard delete of the subject drops its config and mode.
	if _, err := f.SetConfig("s", "NONE", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.DeleteSubject("s", false); err != nil {
		t.Fatal(err)
	}
	if _, err := f.GetConfig("s", false); err != nil {
		t.Fatalf("soft delete keeps the config: %v", err)
	}
	if _, err := f.DeleteSubject("s", true); err != nil {
		t.Fatal(err)
	}
	_, err = f.GetConfig("s", false)
	wantCode(t, err, CodeSubjectConfigNotFound)
}

// TestRestart: ids, versions, deletes and the next id survive closing
// and reopening the metadata log, with and without a snapshot.
func TestRestart(t *testing.T) {
	for _, snapshot := range []bool{false, true} {
		f := newFixture(t)
		f.register("a", recV1, 1, 1)
		f.register("b", recV1, 1, 1)
		f.register("a", recV2, 2, 2)
		if _, err := f.DeleteVersion("a", 2, false); err != nil {
			t.Fatal(err)
		}
		if _, err := f.DeleteVersion("a", 2, true); err != nil {
			t.Fatal(err)
		}
		if snapshot {
			if _, err := f.log.Snapshot(); err != nil {
				t.Fatal(err)
			}
		}
		f.reopen()
		f.register("b", recV1, 1, 1)
		if vs, _ := f.SubjectVersions("a", true); !reflect.DeepEqual(vs, []int32{1}) {
			t.Fatalf("snapshot %v: versions %v", snapshot, vs)
		}
		f.register("a", `{"type":"record","name":"R","fields":[{"name":"a","type":"long"}]}`, 3, 3) // id 2 stays taken, version 2 is not reused
	}
}

func TestErrors(t *testing.T) {
	for code, status := range map[int]int{40401: 404, 42201: 422, 409: 409, 50001: 500, 40901: 409} {
		if got := (&Error{Code: code}).Status(); got != status {
			t.Errorf("status of %d: %d", code, got)
		}
	}
	if Code(nil) != 0 || Code(errors.New("disk")) != CodeStore || Code(errSubjectNotFound("s")) != CodeSubjectNotFound {
		t.Error("Code")
	}
	for s, want := range map[string]int32{"latest": Latest, "-1": Latest, "1": 1, "2147483647": 1<<31 - 1} {
		if v, err := ParseVersion(s); err != nil || v != want {
			t.Errorf("ParseVersion(%q) = %d %v", s, v, err)
		}
	}
	for _, s := range []string{"0", "-2", "2147483648", "01", "x", "", " 1"} {
		_, err := ParseVersion(s)
		wantCode(t, err, CodeInvalidVersion)
	}
}

// TestConcurrentRegistrations: registrations racing on the same and on
// different subjects get one id per schema and gapless versions.
func TestConcurrentRegistrations(t *testing.T) {
	f := newFixture(t)
	if _, err := f.SetConfig("", "NONE", nil); err != nil {
		t.Fatal(err)
	}
	const n = 8
	done := make(chan error)
	for g := range n {
		go func() {
			var err error
			for i := range n {
				schema := `{"type":"fixed","name":"F","size":` + string(rune('1'+i)) + `}`
				subject := []string{"shared", "own-" + string(rune('a'+g))}[i%2]
				if _, _, e := f.Register(subject, SchemaInput{Schema: schema}, false); e != nil && err == nil {
					err = e
				}
				f.SubjectVersions("shared", false)
			}
			done <- err
		}()
	}
	for range n {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	// shared got the even schemas (4 distinct), each once.
	if vs, _ := f.SubjectVersions("shared", false); !reflect.DeepEqual(vs, []int32{1, 2, 3, 4}) {
		t.Fatalf("shared versions %v", vs)
	}
	ids := map[int32]string{}
	for _, s := range f.Subjects("", false) {
		vs, _ := f.SubjectVersions(s, false)
		for _, v := range vs {
			sv, _ := f.Version(s, v, false)
			if other, ok := ids[sv.ID]; ok && other != sv.Schema {
				t.Fatalf("id %d names two schemas", sv.ID)
			}
			ids[sv.ID] = sv.Schema
		}
	}
	if len(ids) != n {
		t.Fatalf("%d ids for %d schemas", len(ids), n)
	}
}

func TestLookups(t *testing.T) {
	f := newFixture(t)
	f.register("a", recV1)
	f.register("b", recV1)
	f.register("a", recV2)
	if _, err := f.DeleteVersion("b", 1, false); err != nil {
		t.Fatal(err)
	}
	vs, err := f.SchemaVersions(1, false)
	if err != nil || !reflect.DeepEqual(vs, []meta.SchemaVersion{{Subject: "a", Version: 1, ID: 1}}) {
		t.Fatalf("live uses %+v %v", vs, err)
	}
	if vs, _ := f.SchemaVersions(1, true); len(vs) != 2 || !vs[1].Deleted {
		t.Fatalf("all uses %+v", vs)
	}
	_, err = f.SchemaVersions(9, false)
	wantCode(t, err, CodeSchemaNotFound)

	f.registerInput("c", SchemaInput{Schema: `{"type":"record","name":"C","fields":[{"name":"r","type":"R"}]}`,
		References: []meta.SchemaReference{{Name: "R", Subject: "a", Version: 2}}})
	if ids, err := f.ReferencedBy("a", 2); err != nil || !reflect.DeepEqual(ids, []int32{3}) {
		t.Fatalf("referenced by %v %v", ids, err)
	}
	if ids, err := f.ReferencedBy("a", 1); err != nil || ids != nil {
		t.Fatalf("referenced by %v %v", ids, err)
	}
	_, err = f.ReferencedBy("a", 5)
	wantCode(t, err, CodeVersionNotFound)

	// Against version 1 only: recNoDeflt adds c without a default.
	ok, msgs, err := f.CheckCompatibility("a", 1, SchemaInput{Schema: recNoDeflt})
	if err != nil || ok || len(msgs) != 1 || !strings.Contains(msgs[0], "READER_FIELD_MISSING_DEFAULT_VALUE") {
		t.Fatalf("check: %v %q %v", ok, msgs, err)
	}
	// recV1 can read data written with the latest (recV2): it skips b.
	if ok, _, err := f.CheckCompatibility("a", Latest, SchemaInput{Schema: recV1}); err != nil || !ok {
		t.Fatalf("latest: %v %v", ok, err)
	}
	if ok, _, err := f.CheckCompatibility("new", Latest, SchemaInput{Schema: recV1}); err != nil || !ok {
		t.Fatalf("no subject, latest: %v %v", ok, err)
	}
	_, _, err = f.CheckCompatibility("new", 1, SchemaInput{Schema: recV1})
	wantCode(t, err, CodeSubjectNotFound)
	_, _, err = f.CheckCompatibility("a", 1, SchemaInput{Schema: `{`})
	wantCode(t, err, CodeInvalidSchema)
	if _, err := f.SetConfig("a", "BACKWARD_TRANSITIVE", nil); err != nil {
		t.Fatal(err)
	}
	// Every live version: v1 and v2 both lack c.
	if ok, msgs, err := f.CheckCompatibility("a", 0, SchemaInput{Schema: recNoDeflt}); err != nil || ok || len(msgs) != 2 {
		t.Fatalf("all versions: %v %q %v", ok, msgs, err)
	}
}
