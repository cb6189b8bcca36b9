package meta

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// registryRecords builds a registry with every kind of state: a schema
// shared by two subjects, references, soft- and hard-deleted versions, a
// subject whose versions were all hard-deleted, an id no version holds
// any more, global and subject configs and modes.
func registryRecords() []Record {
	avro := func(subject string, version, id int32, text string, refs ...SchemaReference) SchemaRegistered {
		return SchemaRegistered{Subject: subject, Version: version, ID: id, SchemaType: SchemaTypeAvro, Schema: text, References: refs}
	}
	return []Record{
		avro("a-value", 1, 1, `"int"`),
		avro("b-value", 1, 1, `"int"`), // the same schema: the same id
		avro("a-value", 2, 2, `"long"`),
		avro("c-value", 1, 3, `{"type":"record","name":"C","fields":[{"name":"x","type":"A"}]}`,
			SchemaReference{Name: "A", Subject: "a-value", Version: 1}),
		SchemaRegistered{Subject: "j", Version: 1, ID: 4, SchemaType: SchemaTypeJSON, Schema: `{"type":"string"}`},
		SchemaDeleted{Subject: "a-value", Version: 2},
		SchemaDeleted{Subject: "a-value", Version: 2, Permanent: true},
		SchemaDeleted{Subject: "j", Version: 0},
		SchemaDeleted{Subject: "j", Version: 0, Permanent: true},
		avro("a-value", 3, 5, `"string"`),
		RegistryConfigChanged{Compatibility: "FULL_TRANSITIVE"},
		RegistryConfigChanged{Subject: "a-value", Compatibility: "NONE", Normalize: ptr(true)},
		RegistryConfigChanged{Subject: "b-value", Normalize: ptr(false)},
		RegistryModeChanged{Mode: "READWRITE"},
		RegistryModeChanged{Subject: "c-value", Mode: "IMPORT"},
	}
}

func TestRegistryState(t *testing.T) {
	forEachVariant(t, func(t *testing.T, v variant) {
		l := v.open(t)
		if r := l.Registry(); r.NextID() != 1 || r.Subjects() != nil {
			t.Fatalf("new log: next id %d, subjects %v", r.NextID(), r.Subjects())
		}
		mustAppend(t, l, registryRecords()...)
		check := func(l *Log) {
			t.Helper()
			r := l.Registry()
			if got := r.Subjects(); !reflect.DeepEqual(got, []string{"a-value", "b-value", "c-value"}) {
				t.Errorf("subjects %v", got)
			}
			vs, hi := r.Versions("a-value")
			want := []SchemaVersion{{"a-value", 1, 1, false}, {"a-value", 3, 5, false}}
			if !reflect.DeepEqual(vs, want) || hi != 3 {
				t.Errorf("a-value versions %+v highest %d", vs, hi)
			}
			if vs, hi := r.Versions("j"); vs != nil || hi != 1 {
				t.Errorf("hard-deleted subject keeps only its highest version: %+v %d", vs, hi)
			}
			if r.NextID() != 6 {
				t.Errorf("next id %d", r.NextID())
			}
			if got := r.SchemaUses(1); !reflect.DeepEqual(got, []SchemaVersion{{"a-value", 1, 1, false}, {"b-value", 1, 1, false}}) {
				t.Errorf("uses of 1: %+v", got)
			}
			if s, ok := r.SchemaByID(4); !ok || s.Type != SchemaTypeJSON || r.SchemaUses(4) != nil {
				t.Errorf("id 4 stays assigned with no uses: %+v %v %v", s, ok, r.SchemaUses(4))
			}
			if id, ok := r.SchemaID(SchemaTypeAvro, `"long"`, nil); !ok || id != 2 {
				t.Errorf("content lookup %d %v", id, ok)
			}
			if _, ok := r.SchemaID(SchemaTypeJSON, `"long"`, nil); ok {
				t.Error("content lookup ignores the type")
			}
			s, _ := r.SchemaByID(3)
			if want := []SchemaReference{{"A", "a-value", 1}}; !reflect.DeepEqual(s.References, want) {
				t.Errorf("references %+v", s.References)
			}
			if got := r.Referrers("a-value", 1); !reflect.DeepEqual(got, []int32{3}) {
				t.Errorf("referrers %v", got)
			}
			if c, ok := r.Config(""); !ok || c.Compatibility != "FULL_TRANSITIVE" || c.Normalize != nil {
				t.Errorf("global config %+v %v", c, ok)
			}
			if c, ok := r.Config("a-value"); !ok || c.Compatibility != "NONE" || *c.Normalize != true {
				t.Errorf("a-value config %+v %v", c, ok)
			}
			if c, ok := r.Config("b-value"); !ok || c.Compatibility != "" || *c.Normalize != false {
				t.Errorf("b-value config %+v %v", c, ok)
			}
			if m, ok := r.Mode("c-value"); !ok || m != "IMPORT" {
				t.Errorf("mode %q %v", m, ok)
			}
			if _, ok := r.Mode("a-value"); ok {
				t.Error("a-value has no mode")
			}
		}
		check(l)
		if v.reopen != nil {
			l = v.reopen(t, l)
			check(l)
		}
	})
}

// TestRegistryVersionsNeverReused follows the notes (schema-registry.md
// 1.2, IDs): a hard-deleted version's number is not handed out again,
// also after the whole subject was hard-deleted; ids stay with their
// schema, so registering it again gives the same id.
func TestRegistryVersionsNeverReused(t *testing.T) {
	l := OpenMemory()
	reg := func(version, id int32, text string) SchemaRegistered {
		return SchemaRegistered{Subject: "s", Version: version, ID: id, SchemaType: SchemaTypeAvro, Schema: text}
	}
	mustAppend(t, l, reg(1, 1, `"int"`), reg(2, 2, `"long"`), RegistryConfigChanged{Subject: "s", Compatibility: "NONE"}, RegistryModeChanged{Subject: "s", Mode: "READONLY"})
	mustAppend(t, l, SchemaDeleted{Subject: "s"}, SchemaDeleted{Subject: "s", Permanent: true})
	r := l.Registry()
	if _, ok := r.Config("s"); ok {
		t.Error("hard delete of the subject keeps its config")
	}
	if _, ok := r.Mode("s"); ok {
		t.Error("hard delete of the subject keeps its mode")
	}
	if err := l.Append(reg(2, 1, `"int"`)); !errors.Is(err, ErrInvalidRecord) {
		t.Fatalf("version 2 again: %v", err)
	}
	mustAppend(t, l, reg(3, 1, `"int"`))
	if vs, hi := l.Registry().Versions("s"); len(vs) != 1 || vs[0].ID != 1 || hi != 3 {
		t.Fatalf("after re-registering: %+v %d", vs, hi)
	}
}

// TestRegistrySoftDeleteKeepsConfig: per the notes, a soft delete of the
// subject leaves its config and mode; the schema can be registered again
// as a new version with the same id.
func TestRegistrySoftDeleteKeepsConfig(t *testing.T) {
	l := OpenMemory()
	s := SchemaRegistered{Subject: "s", Version: 1, ID: 7, SchemaType: SchemaTypeAvro, Schema: `"int"`}
	mustAppend(t, l, s, RegistryConfigChanged{Subject: "s", Compatibility: "FORWARD"}, SchemaDeleted{Subject: "s"})
	if _, ok := l.Registry().Config("s"); !ok {
		t.Fatal("soft delete dropped the config")
	}
	if got := l.Registry().Subjects(); !reflect.DeepEqual(got, []string{"s"}) {
		t.Fatalf("soft-deleted subject is still listed here (the registry filters): %v", got)
	}
	s.Version = 2
	mustAppend(t, l, s)
	vs, _ := l.Registry().Versions("s")
	if want := []SchemaVersion{{"s", 1, 7, true}, {"s", 2, 7, false}}; !reflect.DeepEqual(vs, want) {
		t.Fatalf("versions %+v", vs)
	}
	if l.Registry().NextID() != 8 {
		t.Fatalf("next id %d", l.Registry().NextID())
	}
}

func TestRegistryValidation(t *testing.T) {
	base := []Record{
		SchemaRegistered{Subject: "a", Version: 1, ID: 1, SchemaType: SchemaTypeAvro, Schema: `"int"`},
		SchemaRegistered{Subject: "b", Version: 1, ID: 2, SchemaType: SchemaTypeAvro, Schema: `"long"`,
			References: []SchemaReference{{Name: "A", Subject: "a", Version: 1}}},
		SchemaRegistered{Subject: "c", Version: 1, ID: 3, SchemaType: SchemaTypeAvro, Schema: `"bytes"`},
		SchemaDeleted{Subject: "c", Version: 1},
	}
	reg := func(subject string, version, id int32, typ, text string, refs ...SchemaReference) SchemaRegistered {
		return SchemaRegistered{subject, version, id, typ, text, refs}
	}
	cases := []struct {
		name string
		rec  Record
	}{
		{"empty subject", reg("", 1, 9, "AVRO", `"int"`)},
		{"non-UTF-8 subject", reg("\xff", 1, 9, "AVRO", `"int"`)},
		{"unknown type", reg("x", 1, 9, "XML", `<x/>`)},
		{"empty type", reg("x", 1, 9, "", `"int"`)},
		{"empty schema", reg("x", 1, 9, "AVRO", ``)},
		{"non-UTF-8 schema", reg("x", 1, 9, "AVRO", "\xff")},
		{"zero id", reg("x", 1, 0, "AVRO", `"float"`)},
		{"negative id", reg("x", 1, -3, "AVRO", `"float"`)},
		{"zero version", reg("x", 0, 9, "AVRO", `"float"`)},
		{"version reused", reg("a", 1, 9, "AVRO", `"float"`)},
		{"version not above a deleted one", reg("c", 1, 9, "AVRO", `"float"`)},
		{"id names another schema", reg("x", 1, 1, "AVRO", `"float"`)},
		{"id with other references", reg("x", 1, 2, "AVRO", `"long"`)},
		{"schema already has an id", reg("x", 1, 9, "AVRO", `"int"`)},
		{"subject holds the id live", reg("a", 2, 1, "AVRO", `"int"`)},
		{"reference to a missing version", reg("x", 1, 9, "AVRO", `"float"`, SchemaReference{"A", "a", 2})},
		{"reference to a missing subject", reg("x", 1, 9, "AVRO", `"float"`, SchemaReference{"A", "zz", 1})},
		{"reference without a name", reg("x", 1, 9, "AVRO", `"float"`, SchemaReference{"", "a", 1})},
		{"reference names repeated", reg("x", 1, 9, "AVRO", `"float"`, SchemaReference{"A", "a", 1}, SchemaReference{"A", "b", 1})},
		{"delete unknown subject", SchemaDeleted{Subject: "zz"}},
		{"delete unknown version", SchemaDeleted{Subject: "a", Version: 5}},
		{"delete negative version", SchemaDeleted{Subject: "a", Version: -1}},
		{"soft delete twice", SchemaDeleted{Subject: "c", Version: 1}},
		{"soft delete of a deleted subject", SchemaDeleted{Subject: "c"}},
		{"hard delete before soft", SchemaDeleted{Subject: "a", Version: 1, Permanent: true}},
		{"hard delete of a live subject", SchemaDeleted{Subject: "b", Permanent: true}},
		{"config unknown level", RegistryConfigChanged{Compatibility: "backward"}},
		{"config bad subject", RegistryConfigChanged{Subject: "\xff", Compatibility: "NONE"}},
		{"mode unknown", RegistryModeChanged{Mode: "READ"}},
		{"mode bad subject", RegistryModeChanged{Subject: "\xff", Mode: "READONLY"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := OpenMemory()
			mustAppend(t, l, base...)
			before, last := encodeRegistry(l.state.Load().registry), l.LastIndex()
			if err := l.Append(c.rec); !errors.Is(err, ErrInvalidRecord) {
				t.Fatalf("Append(%+v) = %v, want ErrInvalidRecord", c.rec, err)
			}
			if after := encodeRegistry(l.state.Load().registry); !reflect.DeepEqual(before, after) || l.LastIndex() != last {
				t.Fatal("a refused record changed the state")
			}
		})
	}
	t.Run("empty registry stays empty", func(t *testing.T) {
		l := OpenMemory()
		if err := l.Append(SchemaDeleted{Subject: "a"}); !errors.Is(err, ErrInvalidRecord) {
			t.Fatal(err)
		}
		if l.state.Load().registry != nil {
			t.Fatal("a refused record made a registry")
		}
	})
	t.Run("referenced version", func(t *testing.T) {
		l := OpenMemory()
		mustAppend(t, l, base...)
		mustAppend(t, l, SchemaDeleted{Subject: "a", Version: 1}) // the registry refuses this (42206); the log allows it
		if err := l.Append(SchemaDeleted{Subject: "a", Version: 1, Permanent: true}); !errors.Is(err, ErrInvalidRecord) || !strings.Contains(err.Error(), "referenced") {
			t.Fatalf("hard delete of a referenced version: %v", err)
		}
		// Once the referrer is hard-deleted too, the reference is gone.
		mustAppend(t, l, SchemaDeleted{Subject: "b"}, SchemaDeleted{Subject: "b", Permanent: true}, SchemaDeleted{Subject: "a", Version: 1, Permanent: true})
		if s, ok := l.Registry().SchemaByID(2); !ok || len(s.References) != 1 {
			t.Fatalf("the referrer's id stays assigned: %+v %v", s, ok)
		}
	})
}

// TestRegistryCopies: values a view returns and records given to Append
// share nothing with the state.
func TestRegistryCopies(t *testing.T) {
	l := OpenMemory()
	refs := []SchemaReference{{Name: "A", Subject: "a", Version: 1}}
	norm := true
	mustAppend(t, l, SchemaRegistered{Subject: "a", Version: 1, ID: 1, SchemaType: "AVRO", Schema: `"int"`},
		SchemaRegistered{Subject: "b", Version: 1, ID: 2, SchemaType: "AVRO", Schema: `"long"`, References: refs},
		RegistryConfigChanged{Compatibility: "NONE", Normalize: &norm})
	refs[0].Name = "changed"
	norm = false
	view := l.Registry()
	s, _ := view.SchemaByID(2)
	s.References[0].Name = "changed too"
	c, _ := view.Config("")
	*c.Normalize = false
	if s, _ := l.Registry().SchemaByID(2); s.References[0].Name != "A" {
		t.Fatalf("references changed: %+v", s.References)
	}
	if c, _ := l.Registry().Config(""); !*c.Normalize {
		t.Fatal("normalize changed")
	}
	// A view is a moment: later appends do not show in it.
	mustAppend(t, l, RegistryModeChanged{Mode: "READONLY"})
	if _, ok := view.Mode(""); ok {
		t.Fatal("an old view sees a later append")
	}
}

// TestSnapshotVersionFollowsRegistry: a snapshot holding registry state
// is version 3, which older builds refuse rather than drop it.
func TestSnapshotVersionFollowsRegistry(t *testing.T) {
	l := OpenMemory()
	mustAppend(t, l, BrokerConfigChanged{Set: map[string]string{"log.retention.ms": "1"}})
	version := func() byte {
		t.Helper()
		b, err := encodeSnapshot(l.state.Load(), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		st, _, err := decodeSnapshot(b, l.LastIndex())
		if err != nil {
			t.Fatal(err)
		}
		stateEqual(t, st, l.state.Load())
		return b[4]
	}
	if v := version(); v != 2 {
		t.Fatalf("broker configs only: version %d", v)
	}
	mustAppend(t, l, RegistryModeChanged{Mode: "READONLY"})
	if v := version(); v != 3 {
		t.Fatalf("with a registry mode: version %d", v)
	}
	mustAppend(t, l, RegistryModeChanged{}, BrokerConfigChanged{Delete: []string{"log.retention.ms"}})
	if v := version(); v != 1 {
		t.Fatalf("nothing left: version %d", v)
	}
	mustAppend(t, l, SchemaRegistered{Subject: "s", Version: 1, ID: 1, SchemaType: "AVRO", Schema: `"int"`},
		SchemaDeleted{Subject: "s"}, SchemaDeleted{Subject: "s", Permanent: true})
	if v := version(); v != 3 {
		t.Fatalf("an assigned id and a highest version are state: version %d", v)
	}
}

func TestDecodeSnapshotRegistryErrors(t *testing.T) {
	schema := `{"id":1,"schema_type":"AVRO","schema":"\"int\""}`
	subject := `{"subject":"s","highest":1,"versions":[{"version":1,"id":1}]}`
	snap := func(version byte, registry string) []byte {
		return rawSnapshot(version, 5, `{"last_index":5,"registry":`+registry+`}`)
	}
	cases := []struct {
		name string
		in   []byte
	}{
		{"registry in version 2", snap(2, `{"next_id":2,"schemas":[`+schema+`],"subjects":[`+subject+`]}`)},
		{"next id 0", snap(3, `{"next_id":0}`)},
		{"id not below next id", snap(3, `{"next_id":1,"schemas":[`+schema+`]}`)},
		{"id twice", snap(3, `{"next_id":2,"schemas":[`+schema+`,`+schema+`]}`)},
		{"same content twice", snap(3, `{"next_id":3,"schemas":[`+schema+`,{"id":2,"schema_type":"AVRO","schema":"\"int\""}]}`)},
		{"bad type", snap(3, `{"next_id":2,"schemas":[{"id":1,"schema_type":"X","schema":"x"}]}`)},
		{"empty text", snap(3, `{"next_id":2,"schemas":[{"id":1,"schema_type":"AVRO","schema":""}]}`)},
		{"unknown id in a version", snap(3, `{"next_id":2,"subjects":[`+subject+`]}`)},
		{"version above highest", snap(3, `{"next_id":2,"schemas":[`+schema+`],"subjects":[{"subject":"s","highest":1,"versions":[{"version":2,"id":1}]}]}`)},
		{"versions out of order", snap(3, `{"next_id":2,"schemas":[`+schema+`],"subjects":[{"subject":"s","highest":3,"versions":[{"version":2,"id":1,"deleted":true},{"version":1,"id":1}]}]}`)},
		{"live id twice", snap(3, `{"next_id":2,"schemas":[`+schema+`],"subjects":[{"subject":"s","highest":2,"versions":[{"version":1,"id":1},{"version":2,"id":1}]}]}`)},
		{"subject twice", snap(3, `{"next_id":2,"schemas":[`+schema+`],"subjects":[`+subject+`,`+subject+`]}`)},
		{"highest 0", snap(3, `{"next_id":2,"subjects":[{"subject":"s","highest":0}]}`)},
		{"dangling reference", snap(3, `{"next_id":2,"schemas":[{"id":1,"schema_type":"AVRO","schema":"x","references":[{"name":"A","subject":"t","version":1}]}],"subjects":[`+subject+`]}`)},
		{"bad level", snap(3, `{"next_id":1,"configs":[{"subject":"","compatibility":"SOME"}]}`)},
		{"empty config", snap(3, `{"next_id":1,"configs":[{"subject":"s"}]}`)},
		{"config twice", snap(3, `{"next_id":1,"configs":[{"subject":"s","compatibility":"NONE"},{"subject":"s","compatibility":"FULL"}]}`)},
		{"bad mode", snap(3, `{"next_id":1,"modes":{"":"WRITE"}}`)},
		{"empty mode", snap(3, `{"next_id":1,"modes":{"s":""}}`)},
	}
	for _, c := range cases {
		if _, _, err := decodeSnapshot(c.in, 5); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: got %v, want ErrCorrupt", c.name, err)
		}
	}
	// An orphan schema (no version holds it) may reference versions
	// deleted since.
	ok := snap(3, `{"next_id":3,"schemas":[`+schema+`,{"id":2,"schema_type":"AVRO","schema":"x","references":[{"name":"A","subject":"t","version":1}]}],"subjects":[`+subject+`]}`)
	if _, _, err := decodeSnapshot(ok, 5); err != nil {
		t.Errorf("orphan with an old reference: %v", err)
	}
}
