package meta

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/crc32"
)

// RecordType tags a record in its entry. Values are stored on disk: never
// renumber, only add.
type RecordType uint8

// The record types this build reads and writes.
const (
	TypeTopicCreated    RecordType = 1
	TypeTopicDeleted    RecordType = 2
	TypePartitionsAdded RecordType = 3
	TypeConfigChanged   RecordType = 4
	TypeProducerIDBlock RecordType = 5
	// TypeBrokerConfigChanged was added after testdata/wal-v1: a build
	// before it stops at one with ErrUnknownRecord.
	TypeBrokerConfigChanged RecordType = 6
	// The schema registry's records (registry.go), added after
	// BrokerConfigChanged: a build before them stops at one with
	// ErrUnknownRecord.
	TypeSchemaRegistered      RecordType = 7
	TypeSchemaDeleted         RecordType = 8
	TypeRegistryConfigChanged RecordType = 9
	TypeRegistryModeChanged   RecordType = 10
)

// String returns the record type's name, as in the Go type.
func (t RecordType) String() string {
	switch t {
	case TypeTopicCreated:
		return "TopicCreated"
	case TypeTopicDeleted:
		return "TopicDeleted"
	case TypePartitionsAdded:
		return "PartitionsAdded"
	case TypeConfigChanged:
		return "ConfigChanged"
	case TypeProducerIDBlock:
		return "ProducerIDBlock"
	case TypeBrokerConfigChanged:
		return "BrokerConfigChanged"
	case TypeSchemaRegistered:
		return "SchemaRegistered"
	case TypeSchemaDeleted:
		return "SchemaDeleted"
	case TypeRegistryConfigChanged:
		return "RegistryConfigChanged"
	case TypeRegistryModeChanged:
		return "RegistryModeChanged"
	}
	return fmt.Sprintf("RecordType(%d)", uint8(t))
}

// Record is one change of cluster state: a TopicCreated, TopicDeleted,
// PartitionsAdded, ConfigChanged, ProducerIDBlock or BrokerConfigChanged
// value, or one of the schema registry's SchemaRegistered, SchemaDeleted,
// RegistryConfigChanged and RegistryModeChanged. The set is closed: only this package defines records. Append copies what it keeps,
// so the caller may reuse a record's maps and slices once Append returns.
type Record interface {
	// Type returns the tag stored with the record.
	Type() RecordType
	record()
}

// TopicCreated creates a topic. Name must be new; ID is a random UUID
// (Kafka's topic id), not zero and not used by another topic; Partitions
// is at least 1; Configs holds only the topic configs set explicitly, by
// their Kafka names (nil for none).
type TopicCreated struct {
	Name       string
	ID         [16]byte
	Partitions int32
	Configs    map[string]string
}

// TopicDeleted deletes a topic. A zero ID means "the topic now named
// Name"; Append fills in the current ID before writing, so the log always
// names the exact topic deleted.
type TopicDeleted struct {
	Name string
	ID   [16]byte
}

// PartitionsAdded grows a topic to Total partitions (the new count, not
// the number added). Total must exceed the current count. A zero ID is
// filled in as for TopicDeleted.
type PartitionsAdded struct {
	Name  string
	ID    [16]byte
	Total int32
}

// ConfigChanged sets the configs in Set and removes those in Delete (back
// to the broker default) for a topic. A name may not be in both; deleting
// a config that is not set is allowed. A zero ID is filled in as for
// TopicDeleted.
type ConfigChanged struct {
	Name   string
	ID     [16]byte
	Set    map[string]string
	Delete []string
}

// ProducerIDBlock records that producer ids below Next have been handed
// out. Next must exceed the current [Log.NextProducerID]; see
// [Log.AllocateProducerIDs] for the usual way to write one.
type ProducerIDBlock struct {
	Next int64
}

// BrokerConfigChanged sets the cluster-wide broker config overrides in
// Set and removes those in Delete (Kafka's dynamic default broker configs,
// resource name ""), by their broker names (log.retention.ms, ...). A name
// may not be in both; deleting an override that is not set is allowed.
// Which names and values mean anything is the caller's business.
type BrokerConfigChanged struct {
	Set    map[string]string
	Delete []string
}

// Type returns TypeTopicCreated.
func (TopicCreated) Type() RecordType { return TypeTopicCreated }

// Type returns TypeTopicDeleted.
func (TopicDeleted) Type() RecordType { return TypeTopicDeleted }

// Type returns TypePartitionsAdded.
func (PartitionsAdded) Type() RecordType { return TypePartitionsAdded }

// Type returns TypeConfigChanged.
func (ConfigChanged) Type() RecordType { return TypeConfigChanged }

// Type returns TypeProducerIDBlock.
func (ProducerIDBlock) Type() RecordType { return TypeProducerIDBlock }

// Type returns TypeBrokerConfigChanged.
func (BrokerConfigChanged) Type() RecordType { return TypeBrokerConfigChanged }

func (TopicCreated) record()        {}
func (TopicDeleted) record()        {}
func (PartitionsAdded) record()     {}
func (ConfigChanged) record()       {}
func (ProducerIDBlock) record()     {}
func (BrokerConfigChanged) record() {}

// The JSON payloads. Their field names are the on-disk contract.
type (
	wireTopicCreated struct {
		Name       string            `json:"name"`
		ID         wireID            `json:"id"`
		Partitions int32             `json:"partitions"`
		Configs    map[string]string `json:"configs,omitempty"`
	}
	wireTopicDeleted struct {
		Name string `json:"name"`
		ID   wireID `json:"id"`
	}
	wirePartitionsAdded struct {
		Name  string `json:"name"`
		ID    wireID `json:"id"`
		Total int32  `json:"total"`
	}
	wireConfigChanged struct {
		Name   string            `json:"name"`
		ID     wireID            `json:"id"`
		Set    map[string]string `json:"set,omitempty"`
		Delete []string          `json:"delete,omitempty"`
	}
	wireProducerIDBlock struct {
		Next int64 `json:"next"`
	}
	wireBrokerConfigChanged struct {
		Set    map[string]string `json:"set,omitempty"`
		Delete []string          `json:"delete,omitempty"`
	}
	wireSchemaRegistered struct {
		Subject    string          `json:"subject"`
		Version    int32           `json:"version"`
		ID         int32           `json:"id"`
		SchemaType string          `json:"schema_type"`
		Schema     string          `json:"schema"`
		References []wireReference `json:"references,omitempty"`
	}
	wireReference struct {
		Name    string `json:"name"`
		Subject string `json:"subject"`
		Version int32  `json:"version"`
	}
	wireSchemaDeleted struct {
		Subject   string `json:"subject"`
		Version   int32  `json:"version"` // 0: every version
		Permanent bool   `json:"permanent,omitempty"`
	}
	wireRegistryConfigChanged struct {
		Subject       string `json:"subject"` // "": global
		Compatibility string `json:"compatibility,omitempty"`
		Normalize     *bool  `json:"normalize,omitempty"`
	}
	wireRegistryModeChanged struct {
		Subject string `json:"subject"` // "": global
		Mode    string `json:"mode,omitempty"`
	}
)

// wireRefs and refsOf convert references to and from their JSON form; an
// empty list is nil both ways, as JSON stores it.
func wireRefs(refs []SchemaReference) []wireReference {
	if len(refs) == 0 {
		return nil
	}
	out := make([]wireReference, len(refs))
	for i, r := range refs {
		out[i] = wireReference(r)
	}
	return out
}

func refsOf(w []wireReference) []SchemaReference {
	if len(w) == 0 {
		return nil
	}
	out := make([]SchemaReference, len(w))
	for i, r := range w {
		out[i] = SchemaReference(r)
	}
	return out
}

// wireID is a topic id as Kafka tools print it: unpadded base64url.
type wireID [16]byte

func (id wireID) MarshalText() ([]byte, error) {
	return base64.RawURLEncoding.AppendEncode(nil, id[:]), nil
}

func (id *wireID) UnmarshalText(b []byte) error {
	if base64.RawURLEncoding.DecodedLen(len(b)) != len(id) {
		return fmt.Errorf("topic id %q is not 16 bytes", b)
	}
	_, err := base64.RawURLEncoding.Decode(id[:], b)
	return err
}

const (
	// entryVersion is the layout version written in every entry.
	entryVersion = 1
	// minEntrySize is version, type, two one-byte uvarints and the CRC.
	minEntrySize = 1 + 1 + 1 + 1 + 4
	// maxBatch bounds batch pos and rem so their sum cannot overflow.
	maxBatch = 1 << 32
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// errChecksum marks an entry whose bytes are damaged: too short, or a CRC
// mismatch. Only such an entry may be cut as part of a torn tail.
var errChecksum = fmt.Errorf("%w: entry checksum mismatch", ErrCorrupt)

// entry is a decoded log entry: a record and its place in its batch.
type entry struct {
	rec  Record
	pos  uint64 // entries before this one in its batch
	rem  uint64 // entries after this one in its batch
	size int    // the entry's length in bytes
}

// appendEntry appends r's entry to dst.
func appendEntry(dst []byte, r Record, pos, rem int) ([]byte, error) {
	var w any
	switch r := r.(type) {
	case TopicCreated:
		w = wireTopicCreated{r.Name, r.ID, r.Partitions, r.Configs}
	case TopicDeleted:
		w = wireTopicDeleted{r.Name, r.ID}
	case PartitionsAdded:
		w = wirePartitionsAdded{r.Name, r.ID, r.Total}
	case ConfigChanged:
		w = wireConfigChanged{r.Name, r.ID, r.Set, r.Delete}
	case ProducerIDBlock:
		w = wireProducerIDBlock(r)
	case BrokerConfigChanged:
		w = wireBrokerConfigChanged(r)
	case SchemaRegistered:
		w = wireSchemaRegistered{r.Subject, r.Version, r.ID, r.SchemaType, r.Schema, wireRefs(r.References)}
	case SchemaDeleted:
		w = wireSchemaDeleted(r)
	case RegistryConfigChanged:
		w = wireRegistryConfigChanged(r)
	case RegistryModeChanged:
		w = wireRegistryModeChanged(r)
	default:
		return dst, fmt.Errorf("%w: record %T", ErrInvalidRecord, r)
	}
	payload, err := json.Marshal(w)
	if err != nil {
		return dst, fmt.Errorf("meta: encoding %v: %w", r.Type(), err)
	}
	start := len(dst)
	dst = append(dst, entryVersion, byte(r.Type()))
	dst = binary.AppendUvarint(dst, uint64(pos))
	dst = binary.AppendUvarint(dst, uint64(rem))
	dst = append(dst, payload...)
	return binary.LittleEndian.AppendUint32(dst, crc32.Checksum(dst[start:], castagnoli)), nil
}

// decodeEntry decodes one entry. It never panics. Errors: errChecksum
// (damaged bytes), ErrNewerVersion, ErrUnknownRecord, or ErrCorrupt for an
// intact entry that does not parse (which no version of this package
// writes).
func decodeEntry(b []byte) (entry, error) {
	if len(b) < minEntrySize {
		return entry{}, errChecksum
	}
	body, sum := b[:len(b)-4], binary.LittleEndian.Uint32(b[len(b)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return entry{}, errChecksum
	}
	switch v := body[0]; {
	case v == 0:
		return entry{}, fmt.Errorf("%w: entry version 0", ErrCorrupt)
	case v > entryVersion:
		return entry{}, fmt.Errorf("%w: entry version %d, this build reads %d", ErrNewerVersion, v, entryVersion)
	}
	typ := RecordType(body[1])
	rest := body[2:]
	pos, n := binary.Uvarint(rest)
	if n <= 0 || pos >= maxBatch {
		return entry{}, fmt.Errorf("%w: bad batch position", ErrCorrupt)
	}
	rest = rest[n:]
	rem, n := binary.Uvarint(rest)
	if n <= 0 || rem >= maxBatch {
		return entry{}, fmt.Errorf("%w: bad batch remainder", ErrCorrupt)
	}
	payload := rest[n:]
	e := entry{pos: pos, rem: rem, size: len(b)}
	var err error
	switch typ {
	case TypeTopicCreated:
		var w wireTopicCreated
		err = json.Unmarshal(payload, &w)
		e.rec = TopicCreated{w.Name, w.ID, w.Partitions, w.Configs}
	case TypeTopicDeleted:
		var w wireTopicDeleted
		err = json.Unmarshal(payload, &w)
		e.rec = TopicDeleted{w.Name, w.ID}
	case TypePartitionsAdded:
		var w wirePartitionsAdded
		err = json.Unmarshal(payload, &w)
		e.rec = PartitionsAdded{w.Name, w.ID, w.Total}
	case TypeConfigChanged:
		var w wireConfigChanged
		err = json.Unmarshal(payload, &w)
		e.rec = ConfigChanged{w.Name, w.ID, w.Set, w.Delete}
	case TypeProducerIDBlock:
		var w wireProducerIDBlock
		err = json.Unmarshal(payload, &w)
		e.rec = ProducerIDBlock(w)
	case TypeBrokerConfigChanged:
		var w wireBrokerConfigChanged
		err = json.Unmarshal(payload, &w)
		e.rec = BrokerConfigChanged(w)
	case TypeSchemaRegistered:
		var w wireSchemaRegistered
		err = json.Unmarshal(payload, &w)
		e.rec = SchemaRegistered{w.Subject, w.Version, w.ID, w.SchemaType, w.Schema, refsOf(w.References)}
	case TypeSchemaDeleted:
		var w wireSchemaDeleted
		err = json.Unmarshal(payload, &w)
		e.rec = SchemaDeleted(w)
	case TypeRegistryConfigChanged:
		var w wireRegistryConfigChanged
		err = json.Unmarshal(payload, &w)
		e.rec = RegistryConfigChanged(w)
	case TypeRegistryModeChanged:
		var w wireRegistryModeChanged
		err = json.Unmarshal(payload, &w)
		e.rec = RegistryModeChanged(w)
	default:
		return entry{}, fmt.Errorf("%w: type %d (a newer version wrote this log)", ErrUnknownRecord, uint8(typ))
	}
	if err != nil {
		return entry{}, fmt.Errorf("%w: %v payload: %v", ErrCorrupt, typ, err)
	}
	return e, nil
}

// DecodeRecord decodes one stored entry's record, as read from the wal
// (for tools that read the log directly, such as a future
// __cluster_metadata reader). It never panics on any input.
func DecodeRecord(b []byte) (Record, error) {
	e, err := decodeEntry(b)
	return e.rec, err
}
