package qtt

import (
	"context"
	"errors"
	"fmt"
)

// Engine is what the harness drives: one SQL engine instance, fresh and empty
// for each run. The harness calls its methods from a single goroutine, one at
// a time, in the order Execute*, Produce*, Drain, Output*/Describe*/Topics*,
// Close. Every method must honour ctx: when it is done, return promptly.
//
// Values crossing this interface are JSON-level: nil, bool, string,
// json.Number (or any Go integer or float type), []any and map[string]any.
// Input values are exactly as decoded from the case file (json.Number for
// numbers); the engine serializes them with the formats and column types of
// the source declared on the topic. Output values are decoded by the engine
// from the sink topic's bytes back to that level.
type Engine interface {
	// Execute runs one SQL statement: parse, plan and, for persistent
	// queries, start. An error should be a PhaseError (see *Error) so that
	// negative cases can be scored; ctx bounds the call.
	Execute(ctx context.Context, stmt string) error
	// Produce appends one input record to rec.Topic, partition 0. Records are
	// produced in file order across all topics, and that is the order in
	// which a deterministic engine must process them. A record that cannot be
	// deserialized is the engine's to skip; an error here means the run
	// itself failed (a runtime error, unless classified otherwise).
	Produce(ctx context.Context, rec Record) error
	// Drain processes everything produced so far, through every persistent
	// query in statement order, and returns once all outputs are written.
	// It is called once after the last Produce, also when there are no
	// inputs (INSERT INTO ... VALUES writes data on its own).
	Drain(ctx context.Context) error
	// Output returns every record on topic, in offset order, decoded to the
	// JSON level. A topic that does not exist has no records (nil, nil). The
	// harness does not keep or modify the returned slice after the run.
	Output(ctx context.Context, topic string) ([]Record, error)
	// Describe returns the catalog entry for a stream or table (post.sources).
	// An unknown source is an error.
	Describe(ctx context.Context, source string) (SourceInfo, error)
	// Topics lists every topic the engine has created, internal ones
	// included (post.topics).
	Topics(ctx context.Context) ([]TopicInfo, error)
	// Close releases the engine. It is called once per run, also after a
	// failure, on the run's goroutine once its last call returns: a run
	// abandoned after a timeout is closed only when its busy call ends.
	Close() error
}

// Factory makes a fresh, empty engine for one run. props holds
// DefaultProperties overlaid with the case's properties (values as text);
// topics is the case's topic set-up, which the engine should create before
// any statement runs. A Factory error is reported as an error run.
type Factory func(props map[string]string, topics []TopicSpec) (Engine, error)

// DefaultProperties returns the fixed session settings of the upstream
// harness, which every run starts from before the case's own properties are
// applied: earliest offsets, no record cache (every aggregate update is
// emitted) and header columns enabled. The map is new on every call.
func DefaultProperties() map[string]string {
	return map[string]string{
		"auto.offset.reset":            "earliest",
		"cache.max.bytes.buffering":    "0",
		"ksql.headers.columns.enabled": "true",
	}
}

// Record is one Kafka record at the JSON level, used for inputs (harness to
// engine) and outputs (engine to harness).
type Record struct {
	// Topic is the topic name.
	Topic string
	// Key is the decoded key; nil is a null key.
	Key any
	// Value is the decoded value; nil is a tombstone (or a null value).
	Value any
	// Timestamp is the record time in ms since the epoch (0 when the case
	// gives none on an input).
	Timestamp int64
	// Headers are the record headers in order; nil and empty both mean none.
	Headers []Header
	// Window is the window of a windowed key, or nil.
	Window *Window
	// KeyType is the optional SQL type of a single key column (for example
	// "DECIMAL(4,2)" or "DOUBLE"), used to choose how numbers compare. An
	// output only; empty means unknown.
	KeyType string
	// ValueTypes optionally maps value field names to their SQL types; for a
	// value that is not an object (KAFKA format or an unwrapped single
	// column) the type is under the key "". An output only; nil means unknown.
	ValueTypes map[string]string
}

// Header is one record header. Value nil is a null header value, which is
// not the same as an empty one.
type Header struct {
	// Key is the header key.
	Key string
	// Value is the header's bytes, or nil for null.
	Value []byte
}

// Window is the window of a windowed record key.
type Window struct {
	// Start is the window start in ms.
	Start int64
	// End is the window end in ms: start + size for time windows, the last
	// event's time for session windows.
	End int64
	// Type is "time" (tumbling and hopping) or "session"; compared without
	// regard to case.
	Type string
}

// TopicSpec is one entry of a case's `topics` set-up.
type TopicSpec struct {
	// Name is the topic name.
	Name string
	// Partitions is the partition count; 0 means the case gave none (the
	// upstream default for a listed topic is 1).
	Partitions int
	// Replicas is the replication factor, 0 when not given.
	Replicas int
	// KeyFormat is the key format, empty when not given.
	KeyFormat string
	// ValueFormat is the value format (or the legacy `format` field), empty
	// when not given.
	ValueFormat string
	// KeySchema and ValueSchema are schema-registry schemas as decoded JSON,
	// nil when absent (v2 formats only).
	KeySchema, ValueSchema any
}

// SourceInfo is what Describe reports about a stream or table.
type SourceInfo struct {
	// Name is the source name.
	Name string
	// Type is "STREAM" or "TABLE" (compared without regard to case).
	Type string
	// Schema is the column list, e.g. "ID BIGINT KEY, V0 INT".
	Schema string
	// KeyFormat and ValueFormat are the serialization formats.
	KeyFormat, ValueFormat string
	// KeyFeatures and ValueFeatures are serde features such as
	// "UNWRAP_SINGLES" or "WRAP_SINGLES".
	KeyFeatures, ValueFeatures []string
	// WindowType is "TUMBLING", "HOPPING" or "SESSION" for a windowed key,
	// empty otherwise.
	WindowType string
	// WindowSize is the window size in ms; 0 for session or unwindowed.
	WindowSize int64
	// IsSource reports a source created with CREATE SOURCE STREAM|TABLE.
	IsSource bool
}

// TopicInfo is what Topics reports about one topic.
type TopicInfo struct {
	// Name is the topic name.
	Name string
	// Partitions is the partition count.
	Partitions int
	// KeyFormat and ValueFormat are the formats the engine writes, empty
	// when unknown.
	KeyFormat, ValueFormat string
}

// Phase says at which step of a run an error happened.
type Phase int

const (
	// PhaseUnknown is an error the engine did not classify.
	PhaseUnknown Phase = iota
	// PhaseParse is a syntax error (ksqlDB's ParseFailedException).
	PhaseParse
	// PhaseStatement is a statement rejected after parsing: unknown source,
	// type error, bad property... (KsqlStatementException, KsqlException).
	PhaseStatement
	// PhaseRuntime is a failure while processing records (StreamsException).
	PhaseRuntime
)

// String names the phase.
func (p Phase) String() string {
	switch p {
	case PhaseParse:
		return "parse"
	case PhaseStatement:
		return "statement"
	case PhaseRuntime:
		return "runtime"
	}
	return "unknown"
}

// PhaseError is an error that knows its Phase. Engines return errors that
// implement it, directly or wrapped (errors.As finds it).
type PhaseError interface {
	error
	Phase() Phase
}

// Error is a ready-made PhaseError for engines that have no error type of
// their own.
type Error struct {
	// Step is the phase of the failure.
	Step Phase
	// Line and Column locate a SQL error (1-based); 0 when unknown.
	Line, Column int
	// Err is the underlying error.
	Err error
}

// Error formats the error with its position when known.
func (e *Error) Error() string {
	msg := "<nil>"
	if e.Err != nil {
		msg = e.Err.Error()
	}
	if e.Line > 0 {
		return fmt.Sprintf("line %d:%d: %s", e.Line, e.Column, msg)
	}
	return msg
}

// Phase returns e.Step.
func (e *Error) Phase() Phase { return e.Step }

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// PhaseOf returns the phase of err's first PhaseError in its chain, or
// PhaseUnknown.
func PhaseOf(err error) Phase {
	var pe PhaseError
	if errors.As(err, &pe) {
		return pe.Phase()
	}
	return PhaseUnknown
}

// expectedPhases maps an expectedException type (a Java class name, with or
// without package) to the phases that satisfy it leniently. KsqlException is
// ksqlDB's generic error, raised both when statements are rejected and while
// processing, so both count.
func expectedPhases(javaType string) []Phase {
	short := javaType
	for i := len(short) - 1; i >= 0; i-- {
		if short[i] == '.' || short[i] == '$' {
			short = short[i+1:]
			break
		}
	}
	switch short {
	case "ParseFailedException":
		return []Phase{PhaseParse}
	case "KsqlStatementException":
		return []Phase{PhaseStatement}
	case "KsqlException":
		return []Phase{PhaseStatement, PhaseRuntime}
	case "StreamsException":
		return []Phase{PhaseRuntime}
	}
	return []Phase{PhaseParse, PhaseStatement, PhaseRuntime}
}
