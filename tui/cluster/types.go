// Package cluster is what the terminal topic browser knows about a Kafka cluster: topics and
// their partitions, records decoded through a schema registry, consumer groups and their lag,
// registry subjects and the SQL server's queries. It is a Kafka client (franz-go kgo and kadm,
// sr for the registry, plain HTTP for the SQL server), so it browses `streamlite up` and any
// Kafka cluster alike.
//
// Every method that goes to the network takes a context and returns when it is done; the TUI
// runs each in a bubbletea command with a timeout, so a slow or dead broker never freezes a
// screen. A Client is safe for use by several goroutines at once.
//
// # Records
//
// A Reader decodes each key and value: bytes in the Confluent wire format (magic byte 0 and
// a 4-byte schema id) are looked up in the registry by id (cached; a failed lookup is
// remembered for 10 s so a dead registry costs one request per id, not one per record) and
// decoded to indented JSON: Avro with record fields in schema order and unions as their
// plain branch value (not Confluent's {"type": value}), JSON Schema payloads as JSON,
// Protobuf through the schema compiled with protocompile and rendered by protojson (proto
// field names). Without a registry, or when decoding fails, Record.DecodeErr says why and the
// bytes are shown as hex. Other bytes: valid JSON is indented with two spaces (keys in the
// record's order), printable UTF-8 is shown as is, anything else as hex, 16 bytes a line,
// cut after 4 KiB with a "… N more bytes" line.
//
// # Filters
//
// ParseFilter reads the records screen's filter: terms separated by spaces, all of which
// must match; double quotes group words ("disk full", key:"a b"; \" and \\ escape inside).
//
//	word               key text, value text or any header key or value contains word
//	                   (case-insensitive); a quoted term is always a plain word
//	key:word           the key text contains word (case-insensitive)
//	value:word         the value text contains word (case-insensitive)
//	header:name        the record has a header named name (exact)
//	header:name=word   a header named name has the value word (exact)
//	partition:N        the record is in partition N
//	offset>=N          the offset compares with N; also >, <, <= and =
//	value.a.b=word     the decoded value is JSON and its field a.b is word (the field's JSON
//	                   text, a string without quotes; an array element by index: items.0);
//	                   key.a.b=word the same on the key
//	-term              negates any term
//
// For example: `error -value:timeout partition:2 offset>=1000 header:source=web`.
package cluster

import "time"

// Config says where the cluster and its companions are. The zero value is not usable:
// Brokers must name at least one seed.
type Config struct {
	// Brokers are the seed addresses (host:port).
	Brokers []string
	// Registry is the schema registry's base URL (http://host:port); empty: no registry,
	// and values carrying a schema id are shown as bytes with the id.
	Registry string
	// SQLServer is the SQL server's base URL (http://host:port); empty: no queries screen.
	SQLServer string
	// ClientID is the Kafka client id (default "streamlite-tui").
	ClientID string
}

// Topic is one row of the topics screen.
type Topic struct {
	Name       string
	Partitions int
	// Replicas is the replication factor (replicas of partition 0).
	Replicas int
	// Records is the sum over partitions of end offset minus log start offset (an upper
	// bound on a compacted or transactional topic).
	Records int64
	// Bytes is the size on the broker's disks (DescribeLogDirs); -1 when not reported.
	Bytes int64
	// RemoteRecords is how many records live only in the remote tier (earliest-local minus
	// earliest offset, ListOffsets -4); 0 when none or not reported.
	RemoteRecords int64
	// RetentionMs and RetentionBytes are the effective retention.ms and retention.bytes
	// (-1 unlimited); RetentionMs is 0 when the broker did not report configs.
	RetentionMs    int64
	RetentionBytes int64
	// CleanupPolicy is cleanup.policy ("delete", "compact", "compact,delete").
	CleanupPolicy string
	// Tiered reports remote.storage.enable=true.
	Tiered bool
	// Internal marks the cluster's internal topics (__consumer_offsets, ...).
	Internal bool
	// AutoCreated marks a topic the broker created on first use (streamlite reports it as the
	// read-only topic config streamlite.auto.created=true; other brokers never do).
	AutoCreated bool
	// LastWrite is the largest record timestamp over partitions (ListOffsets -3); zero when
	// the topic is empty or the broker does not answer it.
	LastWrite time.Time
}

// Partition is one row of the topic detail screen.
type Partition struct {
	ID       int32
	Leader   int32
	Replicas []int32
	ISR      []int32
	// Start is the log start offset, End the high watermark.
	Start, End int64
	// LocalStart is the earliest offset still on the broker's disk (ListOffsets -4); equal to
	// Start when nothing is tiered or the broker does not answer it.
	LocalStart int64
	// Bytes is the partition's size on disk; -1 when not reported.
	Bytes int64
	// LastWrite is the largest record timestamp in the partition; zero when unknown.
	LastWrite time.Time
	// Err is the partition's error from metadata or list offsets, if any.
	Err error
}

// ConfigEntry is one topic config as DescribeConfigs reports it.
type ConfigEntry struct {
	Name, Value string
	// Default is true when the value is the broker's default, not set on the topic.
	Default   bool
	Sensitive bool
}

// TopicDetail is the topic detail screen.
type TopicDetail struct {
	Topic
	Parts   []Partition
	Configs []ConfigEntry
}

// Header is one record header.
type Header struct {
	Key   string
	Value []byte
}

// Record is one record as the records screen shows it.
type Record struct {
	Topic     string
	Partition int32
	Offset    int64
	Timestamp time.Time
	Key       []byte
	Value     []byte
	Headers   []Header
	// KeyText and ValueText are the decoded forms: pretty-printed JSON for JSON and for
	// registry-decoded Avro/Protobuf/JSON Schema, the text for UTF-8, hex for other bytes,
	// "null" for a nil key or value.
	KeyText, ValueText string
	// ValueFormat says how the value was read: "json", "avro", "protobuf", "json-schema",
	// "text", "binary" or "null"; KeyFormat the same for the key.
	KeyFormat, ValueFormat string
	// ValueSchemaID is the Confluent schema id the value carries, 0 when none; KeySchemaID
	// the same for the key.
	KeySchemaID, ValueSchemaID int
	// DecodeErr says why a value carrying a schema id could not be decoded (registry down,
	// unknown id, bad bytes); the bytes are then shown as hex.
	DecodeErr string
}

// StartKind says where a records screen starts reading.
type StartKind int

const (
	// FromEnd reads the last N records of every partition and then follows new ones.
	FromEnd StartKind = iota
	// FromBeginning reads from each partition's log start offset.
	FromBeginning
	// FromOffset reads every partition from Start.Offset (clamped to the partition's range).
	FromOffset
	// FromTime reads every partition from the first record at or after Start.Time.
	FromTime
)

// Start is where a records screen starts reading.
type Start struct {
	Kind   StartKind
	Offset int64
	Time   time.Time
	// Last is how many records per partition FromEnd goes back (default 20).
	Last int64
}

// Group is one row of the consumer groups screen.
type Group struct {
	ID       string
	State    string // Stable, Empty, PreparingRebalance, Dead, ...
	Protocol string // the assignor, e.g. "cooperative-sticky"; "" for a group with no members
	Members  int
	// Lag is the total lag over the partitions the group has committed offsets for; -1 when
	// the offsets could not be fetched.
	Lag    int64
	Topics []string
}

// Member is one member of a consumer group.
type Member struct {
	ID, InstanceID, ClientID, Host string
	// Assigned maps topic to the partitions assigned to the member.
	Assigned map[string][]int32
}

// GroupOffset is one partition of a group's committed offsets.
type GroupOffset struct {
	Topic     string
	Partition int32
	// Committed is the committed offset, -1 when the group has none for the partition.
	Committed int64
	End       int64
	// Lag is End minus Committed (End minus log start when nothing is committed).
	Lag    int64
	Member string // the member id assigned the partition, "" when none
}

// GroupDetail is the group detail screen.
type GroupDetail struct {
	Group
	Members []Member
	Offsets []GroupOffset
}

// ResetTarget says where a group offset reset moves offsets to.
type ResetTarget struct {
	// To is "earliest", "latest", "offset" or "time".
	To     string
	Offset int64
	Time   time.Time
}

// OffsetChange is one line of a reset plan: the dry-run view shown before anything is
// written.
type OffsetChange struct {
	Topic     string
	Partition int32
	From, To  int64
}

// Subject is one row of the schemas screen.
type Subject struct {
	Name     string
	Versions []int
	// Latest is the newest version's schema id and type ("AVRO", "PROTOBUF", "JSON").
	LatestID   int
	LatestType string
	// Compatibility is the subject's level, or the global level when the subject has none.
	Compatibility string
}

// SchemaVersion is one version of a subject.
type SchemaVersion struct {
	Subject string
	Version int
	ID      int
	Type    string
	// Text is the schema, pretty-printed when it is JSON (Avro and JSON Schema).
	Text       string
	References []string
}

// Query is one persistent query of the SQL server.
type Query struct {
	ID      string
	State   string // RUNNING, ERROR, ...
	SQL     string
	Sinks   []string
	Sources []string
	// Processed, Skipped and Late are streamlite's counters; -1 from servers that do not
	// report them (ksqlDB).
	Processed, Skipped, Late int64
	// Error is why a query stopped (streamlite reports it; "" from ksqlDB or while running).
	Error string
}

// ProduceRecord is a record written from the TUI.
type ProduceRecord struct {
	Topic string
	// Partition is the target partition, -1 to let the partitioner choose by key.
	Partition int32
	Key       []byte // nil: a null key
	Value     []byte // nil: a tombstone
	Headers   []Header
}
