package meta

import "errors"

// Errors returned by Append and its helpers. Each leaves the state and the
// log unchanged. Compare with errors.Is; messages may carry more detail.
var (
	// ErrTopicExists is returned when a TopicCreated names a topic that
	// exists.
	ErrTopicExists = errors.New("meta: topic already exists")
	// ErrUnknownTopic is returned when a record names a topic that does not
	// exist, or names it with an ID other than its current one (the topic
	// was deleted and created again).
	ErrUnknownTopic = errors.New("meta: unknown topic")
	// ErrInvalidPartitions is returned when a TopicCreated asks for fewer
	// than one partition, or a PartitionsAdded does not grow the topic.
	ErrInvalidPartitions = errors.New("meta: invalid partition count")
	// ErrInvalidRecord is returned for any other record that cannot apply:
	// an empty topic name, a zero or duplicate topic ID, an empty config
	// name, a producer id block that does not move forward, a nil Record,
	// a schema registry record that breaks the registry's invariants (a
	// reused version or id, a missing reference, a hard delete before a
	// soft one; see SchemaRegistered and SchemaDeleted).
	ErrInvalidRecord = errors.New("meta: invalid record")
	// ErrClosed is returned by Append after Close.
	ErrClosed = errors.New("meta: log closed")
	// ErrLogFailed is returned by Append after a write to disk failed: the
	// disk may hold part of a batch. Close and Open again to repair it.
	ErrLogFailed = errors.New("meta: log failed earlier; reopen to repair")
	// ErrMemoryLog is returned by Snapshot on a memory log, which keeps
	// nothing on disk.
	ErrMemoryLog = errors.New("meta: a memory log has no snapshots")
)

// Errors returned by Open and the decoder.
var (
	// ErrCorrupt is returned when the log is damaged somewhere other than
	// its tail, where a cut would drop acknowledged records, or records
	// are missing between the newest valid snapshot and the wal; and,
	// wrapped, by the decoders for an entry or snapshot whose framing or
	// checksum is wrong.
	ErrCorrupt = errors.New("meta: log corrupt")
	// ErrNewerVersion is returned for an entry or snapshot whose layout
	// version this build does not know: a newer streamlite wrote the log.
	ErrNewerVersion = errors.New("meta: entry written by a newer version")
	// ErrUnknownRecord is returned for an intact entry whose record type
	// this build does not know: a newer streamlite wrote the log.
	ErrUnknownRecord = errors.New("meta: unknown record type")
)

// IsCorrupt reports whether err says stored bytes are damaged (as opposed
// to written by a newer version, or an I/O failure).
func IsCorrupt(err error) bool { return errors.Is(err, ErrCorrupt) }
