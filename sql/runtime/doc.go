// Package runtime runs the SQL engine's persistent queries against a Kafka
// cluster, through the Kafka protocol only (franz-go), so the same queries
// run against `streamlite up` or any Kafka cluster.
//
// A Server holds the catalog (package sql/engine) and runs each persistent
// query as a Kafka application of its own:
//
//   - its inputs are read by a consumer group named
//     _streamlite-sql-<service>_query_<ID>, read_committed;
//   - its output and the changes of its operator state go out through a
//     transactional producer with the same transactional id, and each
//     poll's input offsets are committed in the same transaction, so every
//     input record's effect is written exactly once;
//   - its state lives in memory and in the compacted topic
//     _streamlite-sql-<service>_query_<ID>-changelog, which is read back
//     on start (after the transactional producer has fenced any previous
//     instance) and after an aborted transaction.
//
// Statements that change the catalog (CREATE, CREATE ... AS SELECT,
// INSERT INTO ... SELECT, DROP, TERMINATE) are appended, with the session
// properties they ran with, to the command topic
// _streamlite-sql-<service>__command_topic, and replayed in order by Start,
// so the catalog and its queries survive restarts; the queries then resume
// from their committed offsets and restored state.
//
// Clients' own reads are not persisted: Prepare plans a SELECT (a pull
// query, read from the topics as they are, or a push query, read by a
// plain consumer) and PreparePrint a PRINT, which guesses the topic's
// formats as ksqlDB's does (printformat.go). SHOW TOPICS lists the
// cluster's topics, internal ones only with ALL.
//
// Records are processed in timestamp order across the partitions of one
// poll. Windowed output keys are laid out as Kafka Streams' windowed serdes
// do (the key, then the window start; for sessions the end, then the start).
package runtime
