// Package meta is streamlite's KRaft-style metadata log and the state it
// replays into.
//
// Every change of cluster state (a topic created or deleted, partitions
// added, a topic config changed, a block of producer ids handed out) is a
// typed [Record]. The caller's contract is:
//
//  1. Open the log once per data directory (or [OpenMemory] for --memory
//     mode). Open replays every record into the in-memory state, repairing
//     a torn tail first; [Log.Repairs] says what was cut.
//  2. Build records and hand them to [Log.Append]. Append validates each
//     against the current state (and the records before it in the same
//     call), writes them as one batch, fsyncs the segment file and the
//     directory, and only then applies them. Either every record of the
//     call is durable and applied or none is, also across a crash: replay
//     applies a batch only when all of its entries survived.
//  3. Read the state with [Log.Topic], [Log.Topics], [Log.NextProducerID]
//     and [Log.LastIndex]. Reads never wait for an Append's fsync; they see
//     the state before or after a whole Append, never part of one.
//  4. Close the log. Reads keep answering from memory after Close; Append
//     returns [ErrClosed].
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
// [Log.LastIndex] reports and what a snapshot will name later. Each entry
// is one record:
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
//     names. Readers ignore fields they do not know, so a later version may
//     add fields without a version bump; a change older readers would
//     misread needs a new type or version.
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
// Snapshots are not written yet. The parts they need are in place: every
// record has an index, and the state is a plain value that can be
// serialized; the wal can drop a prefix with TruncateFront.
package meta
