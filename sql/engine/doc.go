// Package engine is streamlite's SQL engine: the catalog of streams and
// tables, the planner of persistent queries, and their runtime.
//
// This first part runs in driver mode, the one ksqlDB's query-validation
// tests score: topics in memory, each input record fully processed by every
// persistent query (in statement order, a query reading another's sink
// seeing all of its output) before the next, stream time moved only by
// record timestamps. It plans CREATE STREAM|TABLE, stateless CREATE STREAM
// AS SELECT and INSERT INTO ... SELECT (projection, WHERE, PARTITION BY,
// pseudocolumns ROWTIME/ROWPARTITION/ROWOFFSET, header columns), and
// CREATE TABLE AS SELECT over a table (projection and filter, deletions
// forwarded) and with GROUP BY over a stream (COUNT, SUM, MIN, MAX,
// EARLIEST/LATEST_BY_OFFSET, COLLECT_LIST/SET, TOPK(DISTINCT), ATTR, AVG,
// COUNT_DISTINCT, CORRELATION, HISTOGRAM, STDDEV_SAMP/SAMPLE, SUM_LIST, all
// listed in aggfuncs.go; HAVING;
// every update emitted; tumbling and hopping windows closed by stream time
// with grace periods; session windows merging across the inactivity gap,
// merged sessions deleted; WINDOWSTART/WINDOWEND), with record time from a
// TIMESTAMP column, over the v1 formats (KAFKA, JSON, DELIMITED, NONE; package serde) with package
// expr's expressions. A record that does not deserialize is skipped and
// counted (Engine.Skipped), never stops a query.
//
// Joins (join.go, joinplan.go, joinflow.go): stream-table INNER and LEFT
// joins look each stream record up in the table as it stood when the
// record arrived; stream-stream joins WITHIN a window (INNER, LEFT, RIGHT,
// FULL OUTER) buffer both sides by key for the join's retention and join
// each record with the other side's records inside the window, an
// unmatched outer record joining nulls at once or, with a GRACE PERIOD,
// once its window closes (joinstream.go); table-table joins (INNER, LEFT,
// RIGHT, FULL OUTER) keep both sides' rows and rewrite the joined row, or
// delete it, at each update, key to key or on a foreign key (joinfk.go).
// An n-way join is a left-deep tree of these, each join's output feeding
// the next as its left side. The result's key is the join key, named
// after the first select item holding it (ksqlDB's order of preference),
// or a synthetic ROWKEY; GROUP BY and PARTITION BY may follow a join
// whose result is a stream. A sink WITH (TIMESTAMP=...) takes its record
// times from that column (sinktime.go).
//
// Aggregations over a table (COUNT, SUM, COLLECT_LIST, AVG, STDDEV_*,
// CORRELATION, HISTOGRAM, SUM_LIST) take a row's old value out of its group
// and add the new one, writing both steps, or one when the row stays in its
// group.
//
// Select items and HAVING may be any expression over aggregates and
// grouping expressions (hidden aggregators feed them).
//
// EMIT FINAL windowed aggregations write each window's row once, when
// stream time closes it, as Kafka Streams' ON_WINDOW_CLOSE strategy does
// (final.go). PARTITION BY re-keys on the input's columns, ksqlDB's way
// (partition.go). A stream record with a null value goes through a
// stateless query without WHERE as a null-valued record, and a null key
// stays null.
//
// Transient queries (transient.go, pull.go, projection.go) are the
// SELECTs a client runs: PlanTransient plans one; a push query (EMIT
// CHANGES) turns each record the caller feeds Transient.Process into rows,
// aggregating, windowing and joining with the persistent operators
// planned with a row hook instead of a sink; a pull query answers
// PullRows from a materialized table's topic (latest row per key) or a
// stream's records, refusing what ksqlDB's pull planner refuses (key
// lookups, range and table scans per ksql.query.pull.*.enabled).
// InsertValues (insertvalues.go) turns INSERT INTO ... VALUES into the
// record to write.
//
// Not planned yet: ATTR over a table, joins of windowed sources, GROUP BY
// over a table-table join, SHOW/DESCRIBE, and the Kafka-protocol
// runtime (consumer groups, changelog-backed state, transactions) that
// `streamlite up` and `streamlite sql-server` will run.
//
// TestQTT runs the conformance corpus against it (go test ./sql/engine/ -run
// QTT -v; STREAMLITE_QTT_DIR names another corpus of the same layout), and
// TestRQTTEngine the REST cases against the transient-query API.
package engine
