package meta

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

var rewrite = flag.Bool("rewrite", false, "rewrite testdata/fuzz/FuzzDecodeRecord from the seeds in seedEntries")

func id(b byte) [16]byte { return [16]byte{0: b, 15: 0xff} }

// sampleRecords holds one record of every type, with every field set.
func sampleRecords() []Record {
	return []Record{
		TopicCreated{Name: "orders", ID: id(1), Partitions: 3, Configs: map[string]string{"retention.ms": "60000", "cleanup.policy": "compact"}},
		PartitionsAdded{Name: "orders", ID: id(1), Total: 6},
		ConfigChanged{Name: "orders", ID: id(1), Set: map[string]string{"max.message.bytes": "2048"}, Delete: []string{"retention.ms"}},
		ProducerIDBlock{Next: 1000},
		TopicDeleted{Name: "orders", ID: id(1)},
		BrokerConfigChanged{Set: map[string]string{"log.retention.ms": "3600000"}, Delete: []string{"message.max.bytes"}},
		SchemaRegistered{Subject: "orders-value", Version: 1, ID: 1, SchemaType: "AVRO", Schema: `"string"`},
		SchemaRegistered{Subject: "orders-key", Version: 1, ID: 2, SchemaType: "PROTOBUF", Schema: `syntax = "proto3"; import "o.proto";`,
			References: []SchemaReference{{Name: "o.proto", Subject: "orders-value", Version: 1}}},
		SchemaDeleted{Subject: "orders-key", Version: 1, Permanent: false},
		RegistryConfigChanged{Subject: "orders-value", Compatibility: "FULL", Normalize: ptr(true)},
		RegistryModeChanged{Subject: "", Mode: "READONLY"},
	}
}

func ptr[T any](v T) *T { return &v }

func mustEntry(t testing.TB, r Record, pos, rem int) []byte {
	t.Helper()
	b, err := appendEntry(nil, r, pos, rem)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rawEntry builds an entry with any version and type and a valid CRC.
func rawEntry(version, typ byte, payload string) []byte {
	b := append([]byte{version, typ, 0, 0}, payload...)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

func TestEntryRoundTrip(t *testing.T) {
	for i, r := range sampleRecords() {
		b := mustEntry(t, r, i, 7)
		e, err := decodeEntry(b)
		if err != nil {
			t.Fatalf("%v: %v", r.Type(), err)
		}
		if !reflect.DeepEqual(e.rec, r) || e.pos != uint64(i) || e.rem != 7 {
			t.Errorf("%v: decoded %+v, want %+v at %d/7", r.Type(), e, r, i)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	good := mustEntry(t, ProducerIDBlock{Next: 5}, 0, 0)
	flipped := bytes.Clone(good)
	flipped[len(flipped)/2] ^= 0x10
	cases := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrCorrupt},
		{"short", good[:5], ErrCorrupt},
		{"flipped byte", flipped, ErrCorrupt},
		{"truncated", good[:len(good)-1], ErrCorrupt},
		{"version 0", rawEntry(0, byte(TypeProducerIDBlock), `{}`), ErrCorrupt},
		{"newer version", rawEntry(2, byte(TypeProducerIDBlock), `{}`), ErrNewerVersion},
		{"unknown type", rawEntry(1, 99, `{}`), ErrUnknownRecord},
		{"bad json", rawEntry(1, byte(TypeTopicCreated), `{"name":`), ErrCorrupt},
		{"bad id", rawEntry(1, byte(TypeTopicDeleted), `{"name":"a","id":"xyz"}`), ErrCorrupt},
	}
	for _, c := range cases {
		if _, err := DecodeRecord(c.in); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
	// Unknown JSON fields are how later versions add to a record.
	r, err := DecodeRecord(rawEntry(1, byte(TypeProducerIDBlock), `{"next":9,"added_later":true}`))
	if err != nil || r != (ProducerIDBlock{Next: 9}) {
		t.Errorf("unknown field: %v, %v", r, err)
	}
}

// seedEntries is the fuzz seed corpus: valid entries of every type and
// the edge cases of the decoder.
func seedEntries(t testing.TB) [][]byte {
	seeds := [][]byte{
		{},
		{1},
		rawEntry(1, 99, `{}`),
		rawEntry(2, 1, `{}`),
		rawEntry(1, byte(TypeTopicCreated), `null`),
		rawEntry(1, byte(TypeTopicCreated), `{"name":"x","id":"AAAAAAAAAAAAAAAAAAAAAA","partitions":-1,"configs":{"":""}}`),
		rawEntry(1, byte(TypeConfigChanged), `{"set":{"a":"b"},"delete":["a","a"]}`),
		rawEntry(1, byte(TypeBrokerConfigChanged), `{"set":{"":"b"},"delete":[""]}`),
		rawEntry(1, byte(TypeSchemaRegistered), `{"subject":"s","version":-1,"id":0,"references":[{}]}`),
		rawEntry(1, byte(TypeRegistryConfigChanged), `{"subject":"s","normalize":null}`),
		append([]byte{1, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, 0, 0, 0, 0),
	}
	for i, r := range sampleRecords() {
		seeds = append(seeds, mustEntry(t, r, i, len(sampleRecords())-1-i))
	}
	return seeds
}

const corpusDir = "testdata/fuzz/FuzzDecodeRecord"

// TestFuzzCorpus keeps the checked-in seed corpus equal to seedEntries;
// run with -rewrite after changing the format.
func TestFuzzCorpus(t *testing.T) {
	for i, s := range seedEntries(t) {
		path := filepath.Join(corpusDir, fmt.Sprintf("seed-%02d", i))
		want := fmt.Appendf(nil, "go test fuzz v1\n[]byte(%q)\n", s)
		if *rewrite {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s is stale (%v); run go test -run TestFuzzCorpus -rewrite", path, err)
		}
	}
}

// FuzzDecodeRecord checks, for any bytes:
//   - the decoder never panics;
//   - it fails or returns a non-nil record;
//   - a decoded record encodes, and decoding that gives the same record
//     (after one round, as JSON normalizes invalid UTF-8 and empty maps);
//   - a flipped bit in the first 32 bytes of a valid entry is caught.
func FuzzDecodeRecord(f *testing.F) {
	for _, s := range seedEntries(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := decodeEntry(b)
		if err != nil {
			return
		}
		if e.rec == nil {
			t.Fatal("nil record without error")
		}
		b1 := mustEntry(t, e.rec, int(e.pos), int(e.rem))
		e1, err := decodeEntry(b1)
		if err != nil {
			t.Fatalf("re-encoded entry does not decode: %v", err)
		}
		b2 := mustEntry(t, e1.rec, int(e1.pos), int(e1.rem))
		if !bytes.Equal(b1, b2) {
			t.Fatalf("encoding not stable:\n%q\n%q", b1, b2)
		}
		e2, err := decodeEntry(b2)
		if err != nil || !reflect.DeepEqual(e1, e2) {
			t.Fatalf("round trip: %+v != %+v (%v)", e1, e2, err)
		}
		c := bytes.Clone(b2)
		for bit := range min(len(c)*8, 256) {
			c[bit/8] ^= 1 << (bit % 8)
			if _, err := decodeEntry(c); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("flipped bit %d not caught: %v", bit, err)
			}
			c[bit/8] ^= 1 << (bit % 8)
		}
	})
}
