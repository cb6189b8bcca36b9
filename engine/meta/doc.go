// Package meta is streamlite's KRaft-style metadata log and the state it
// replays into.
//
// Every change of cluster state (a topic created or deleted, partitions
// added, a topic config changed, a block of producer ids handed out, the
// cluster-wide broker config overrides changed, a schema registered or
// deleted in the schema registry, its config or mode changed) is a typed
// [Record]. The caller's contract is:
//
//  1. Open the log once per data directory (or [OpenMemory] for --memory
//     mode; [OpenOptions] and [OpenMemoryOptions] take [Options]). Open
//     loads the newest valid snapshot and replays the records after it
//     into the in-memory state, repairing a torn tail first;
//     [Log.Repairs] says what was cut.
//  2. Build records and hand them to [Log.Append]. Append validates each
//     against the current state (and the records before it in the same
//     call), writes them as one batch, fsyncs the segment file and the
//     directory, and only then applies them. Either every record of the
//     call is durable and applied or none is, also across a crash: replay
//     applies a batch only when all of its entries survived.
//     If [Options].OnAppend is set, it is called with the stored records
//     after each successful Append, in index order.
//  3. Read the state with [Log.Topic], [Log.Topics], [Log.NextProducerID],
//     [Log.BrokerConfigs], [Log.Registry] (a consistent view of the schema
//     registry's state) and [Log.LastIndex]. Reads never wait for an Append's fsync; they see
//     the state before or after a whole Append, never part of one. Read
//     the records themselves with [Log.ReadRecords], from
//     [Log.FirstIndex] on, and the log's figures with [Log.Stats].
//  4. Snapshots happen in the background once [Options].SnapshotBytes of
//     entries were appended since the last one (Kafka's
//     metadata.log.max.record.bytes.between.snapshots, 4 MiB by default),
//     or on [Log.Snapshot]. Either way Append does not wait for the
//     snapshot to be written.
//  5. Close the log: it stops the background snapshotter, waiting for a
//     snapshot in progress. Reads of the state keep answering from memory
//     after Close; Append returns [ErrClosed].
//
// All methods are safe for concurrent use.
//
// # On disk
//
// The log is a github.com/tidwall/wal directory in its binary format:
// segment files named by the index of their first entry (20 digits), each
// a run of frames
//
//	+------------------+-------------------------+
//	| size (uvarint)   | entry (size bytes)      |
//	+------------------+-------------------------+
//
// The wal assigns each entry its index, 1, 2, 3, ... with no gaps; the
// index is the record's position in cluster history, what
// [Log.LastIndex] reports and what a snapshot names. After a snapshot the
// wal starts later: its first segment is named by its first index. Each
// entry is one record:
//
//	+---------+------+-----------+-----------+--------------+--------+
//	| version | type | batch pos | batch rem | payload      | crc32c |
//	| 1 B     | 1 B  | uvarint   | uvarint   | JSON object  | 4 B LE |
//	+---------+------+-----------+-----------+--------------+--------+
//
// The fields:
//
//   - version (1) is the entry layout; a reader refuses a version it does
//     not know instead of misreading it ([ErrNewerVersion]).
//   - type is the [RecordType]; an unknown type also means a newer
//     streamlite wrote the log, and replay stops with [ErrUnknownRecord]
//     rather than skip a change of state.
//   - batch pos and batch rem place the entry in the Append call that
//     wrote it: pos entries before it, rem after it. Replay applies a batch
//     only when its last entry (rem 0) is read, so a crash in the middle of
//     a batch never half-applies it, and a corrupt entry can be told apart
//     from a torn tail: the tail is torn only if no entry of a later batch
//     follows it (a later batch is written only after the earlier one was
//     fsynced).
//   - payload is the record as a JSON object with stable lower-case field
//     names (see Compatibility).
//   - crc32c (Castagnoli) covers every byte before it. tidwall/wal has no
//     checksum of its own.
//
// # Repair
//
// tidwall/wal's Open fails on a torn last frame and its writes never fsync
// the directory. Open therefore (a) on wal.ErrCorrupt truncates the last
// segment file after its last complete frame, (b) on replay cuts the tail
// from the start of the batch holding the first entry that fails its CRC,
// or of a batch whose end is missing, and (c) fsyncs the directory after anything that
// creates, renames or removes files. A corrupt entry followed by a later
// batch is not a torn tail but damage to acknowledged data: Open fails
// with [ErrCorrupt] instead of dropping it. Every cut is logged with slog
// at Warn and returned by [Log.Repairs].
//
// # Snapshots
//
// A snapshot is the whole state as of one index, in the subdirectory
// snapshots/ of the wal directory (tidwall/wal skips directories when it
// loads), named by that index in 20 digits: snapshots/<index>.snap.
//
//	+-------+---------+-------+--------+--------+----------------+
//	| magic | version | index | length | crc32c | payload        |
//	| 4 B   | 1 B     | 8 B LE| 8 B LE | 4 B LE | JSON object    |
//	+-------+---------+-------+--------+--------+----------------+
//
// The fields:
//
//   - magic "SLMS" tells a snapshot from any other file; it and version
//     keep their place in every version.
//   - version is the layout: 1; 2 when the state holds broker config
//     overrides (the payload's broker_configs); 3 when it holds schema
//     registry state (the payload's registry), so a build that predates
//     them refuses that snapshot instead of dropping them. A snapshot is
//     written with the lowest version that holds its state: one without
//     either is still written as 1. A version newer than this build
//     reads fails Open with [ErrNewerVersion]; the file is neither skipped
//     nor deleted.
//   - index is the last record the snapshot covers; it must equal the
//     file name's index and the payload's last_index.
//   - length is the payload's size, so a cut file is told from a whole one.
//   - crc32c (Castagnoli) covers the 21 header bytes before it and the
//     payload.
//   - payload is {"last_index", "next_producer_id", "time" (when it was
//     written), "topics": [{"name", "id", "partitions", "configs"}],
//     "broker_configs" (version 2, omitted when empty), "registry"
//     (version 3, omitted when empty: {"next_id", "schemas": [{"id",
//     "schema_type", "schema", "references"}], "subjects": [{"subject",
//     "highest", "versions": [{"version", "id", "deleted"}]}], "configs":
//     [{"subject", "compatibility", "normalize"}], "modes": {subject:
//     mode}})}, with topics sorted by name, schemas by id, subjects and
//     configs by subject, and the same field names as the records. Loading
//     rebuilds the topics, broker configs, registry configs and modes
//     through the same checks records pass, and checks the registry's
//     schemas and versions against the invariants its records keep.
//
// [Log.Snapshot] (or the background snapshotter) encodes the published
// state, which is immutable, so it holds no append lock while it encodes
// and writes: to <index>.snap.tmp, fsync, rename to <index>.snap, fsync
// the directory. Only then does it drop the wal entries through the index
// (tidwall/wal's TruncateFront, with AllowEmpty: a snapshot of every
// record leaves an empty wal whose segment file still names the next
// index), fsync the wal directory, and delete all but the newest two
// snapshots. A crash at any point leaves a directory that opens to the
// same state:
//
//   - before the rename: a .tmp file, which Open removes (logged at Warn);
//     the wal is whole. tidwall/wal's own leftover *.TEMP files from an
//     interrupted truncation are removed the same way.
//   - after the rename, before or during the truncation: the snapshot and
//     a wal that still holds entries it covers (tidwall/wal resolves its
//     own .START file on open). Replay skips the entries at or below the
//     snapshot's index, and Open finishes the truncation.
//
// Open loads the newest snapshot that validates. A damaged one (checksum,
// framing, index, payload) is logged at Warn and the next older one
// tried; damaged snapshots newer than the one loaded are deleted once
// Open has succeeded. It then replays the wal entries after the
// snapshot's index. A wal that starts after that index plus one is
// missing records: Open fails with [ErrCorrupt] rather than start with a
// state that skips them. A wal that ends before the snapshot's index
// holds nothing the snapshot lacks; it is rebuilt empty, starting after
// the snapshot (a [Repair]).
//
// # Compatibility
//
// An old log must stay readable by every later build, so the formats grow
// only in ways an old reader can refuse and a new reader can read:
//
//   - New fields: a payload (record or snapshot) may gain fields in a
//     later version without a version bump. Readers ignore fields they do
//     not know, and a missing field reads as its zero value, which must
//     mean what the field's absence meant before: a later build reading
//     an old log sees the zero value. An older build reading a newer log
//     drops the field, and its next snapshot loses it for good, so a new
//     field may only carry what an older build can safely forget; one
//     that must survive a downgrade needs a new record type instead.
//   - New record types: a new [RecordType] value, never a reused one. An
//     old build stops at it with [ErrUnknownRecord] rather than skip a
//     change of state; a new build reads every old type forever. The
//     state a new type adds goes into snapshots under a new snapshot
//     version, so an old build refuses such a snapshot with
//     [ErrNewerVersion] just as it refuses the record, instead of
//     ignoring a payload field it does not know.
//   - A change an older reader would misread (a field whose meaning
//     changes, a different framing) needs a new version byte, which old
//     builds refuse with [ErrNewerVersion].
//
// testdata/wal-v1 holds a wal written by the first version of this
// package, with every record type it had (BrokerConfigChanged, type 6,
// and the schema registry's types 7 to 10 came later); a test replays it
// to the state it
// held, so a change that breaks old logs fails there.
//
// # Memory and the state
//
// The state is immutable once published: Append applies records to a
// clone and swaps the pointer. Its topic maps are persistent hash tries,
// so a clone costs O(1) and a change O(log n), not a copy of every topic.
package meta
