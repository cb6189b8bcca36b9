package qtt

import "context"

// RestEngine is what RunRest drives: one SQL server behind ksqlDB's REST
// API, fresh and empty for each run. The runner calls its methods from a
// single goroutine, one at a time (onActive runs inside Query, on the
// goroutine that called Query), in the order KSQL*, Produce*,
// WaitForQueries, Query*, Records*, Close, except that for a case with
// inputConditions.waitForActivePushQuery the inputs are produced from
// inside the first Query's onActive. Every method must honour ctx.
//
// Statuses and bodies are returned as the server sent them; err is only
// for a request that got no answer (connection refused, ctx done, ...).
// The runner does not keep or modify returned slices after the run.
type RestEngine interface {
	// KSQL posts one non-SELECT statement to /ksql with the session
	// properties props (as `streamsProperties`) and returns the HTTP
	// status and the raw body: on success ksqlDB's array of entities,
	// which may be empty (INSERT VALUES answers with no entity), else
	// its error object {"@type", "error_code", "message", ...}.
	KSQL(ctx context.Context, stmt string, props map[string]string) (status int, body []byte, err error)
	// Query posts one SELECT to /query and returns the HTTP status and
	// body. On success the body is ksqlDB's v1 JSON answer, an array of
	// entries: {"header": {"queryId", "schema"}}, then {"row":
	// {"columns": [...]}} per row, then optionally {"finalMessage": ...}.
	//
	// want is the number of entries the runner expects (header, rows and
	// final message counted), 0 when it does not know. A push query does
	// not end on its own unless it has a LIMIT: the engine stops reading
	// once it has want entries (when want > 0), or when no entry has come
	// for a while, and returns the entries read as a well-formed array.
	//
	// onActive, when not nil, must be called once the query is running
	// (its header has arrived) and before waiting for rows; the runner
	// produces the case's inputs from it. An error from onActive ends the
	// query and is returned as err.
	Query(ctx context.Context, sql string, props map[string]string, want int, onActive func(context.Context) error) (status int, body []byte, err error)
	// Produce appends recs, in order, to partition 0 of topic. Values are
	// at the JSON level (see Engine); the engine serializes them with the
	// formats and column types of the source declared on the topic, as
	// the QTT engines do, including windowed keys for a windowed source.
	Produce(ctx context.Context, topic string, recs []Record) error
	// WaitForQueries returns once every persistent query has processed
	// every record of its inputs (upstream ones' outputs included), so
	// that pull queries see all inputs and outputs are complete. An error
	// means a query failed or ctx ended first.
	WaitForQueries(ctx context.Context) error
	// Records returns every record of topic decoded to the JSON level, in
	// offset order (partition by partition), for the `outputs` checks. A
	// topic that does not exist has no records.
	Records(ctx context.Context, topic string) ([]Record, error)
	// Close stops the server and releases everything the engine holds.
	// It is called once per run, also after a failure, on the run's
	// goroutine once its last call returns.
	Close() error
}

// RestFactory makes a fresh, empty RestEngine for one run. props holds
// DefaultProperties overlaid with the case's properties (values as text);
// the runner also sends them with every request. topics are the topics
// to create before any statement runs (see RestTopics). A RestFactory
// error is reported as an error run. RunRest may call it from several
// goroutines at once (RestOptions.Parallel).
type RestFactory func(props map[string]string, topics []TopicSpec) (RestEngine, error)
