// Package tiered is the remote tier of a partition's log (tiered storage,
// Kafka's KIP-405): closed segments copied to an object store
// ([objstore.Store]) with their indexes, a per-partition manifest naming
// them, reads served from the store through a local chunk [Cache], and
// retention applied to what the store holds. It sits below engine/...: it
// knows the segment and index file formats of engine/log, not its code.
//
// # Caller's contract
//
//  1. Create one [Cache] per broker (per object store) and Close it last.
//  2. Before any upload of a partition runs, [OpenRemote] it: the manifest
//     is loaded (none means an empty tier) and objects it does not list are
//     deleted, since they are what a crash left of an upload or deletion.
//  3. [Remote.Upload] each closed segment, in offset order. Only after it
//     returns nil may the local copy be deleted: the segment's objects are
//     stored and a manifest naming them is written. A failed Upload may
//     be retried at once or later.
//  4. Serve offsets below the local log start with [Remote.Read] and
//     [Remote.OffsetForTimestamp]; any number may run at once, with uploads
//     and deletions too.
//  5. Apply DeleteRecords with [Remote.DeleteBefore] and retention.ms /
//     retention.bytes with [Remote.EnforceRetention]; on topic deletion call
//     [Remote.DeleteAll] for each partition, or [DeleteTopic].
//  6. Write a topic's description with [WriteTopic] when it is created or
//     its configs change; [ReadTopics] lists them from the bucket alone
//     (streamlite restore).
//
// # Key layout
//
// Keys are relative to the store's own prefix. No key is a "directory" of
// another (some S3-compatible servers map keys to files):
//
//	topics/<topic>-<id 32 hex>/topic.json                  TopicInfo
//	topics/<topic>-<id>/<partition>/manifest.json          the partition manifest
//	topics/<topic>-<id>/<partition>/<base %020d>.log        the segment's batches, as-is
//	topics/<topic>-<id>/<partition>/<base %020d>.index      its offset index, as-is
//	topics/<topic>-<id>/<partition>/<base %020d>.timeindex  its time index, as-is
//
// The topic id is part of every key, so a topic deleted and created again
// under the same name never meets the old one's objects.
//
// # Segment files (engine/log's formats, kept byte for byte)
//
// A .log object is whole Kafka v2 record batches back to back; of each
// batch header this package reads baseOffset (int64 at 0), batchLength
// (int32 at 8, the batch is batchLength+12 bytes), lastOffsetDelta (int32 at
// 23), firstTimestamp (int64 at 27) and maxTimestamp (int64 at 35), all
// big-endian. The .index holds 8-byte entries (uint32 last offset of a batch
// minus the segment base, uint32 position where that batch starts; sparse,
// ascending): a binary search over it, chunk by chunk through the cache,
// finds where to start scanning headers. The .timeindex holds 12-byte
// entries (int64 max timestamp, uint32 relative last offset) written each
// time a batch raised the segment's max timestamp, so the first entry at or
// above t names the first batch that can hold a record at or after t.
//
// # Manifest
//
// manifest.json is one JSON object:
//
//	version      1; anything else is refused
//	topic, topicId, partition
//	             the partition it describes; a manifest copied to the wrong
//	             place is refused
//	startOffset  first readable offset; at or inside the first segment (a
//	             DeleteRecords may move it inside). With no segment, the
//	             offset below which nothing may be served (-1: no limit): a
//	             DeleteBefore past the end is remembered, so a later upload
//	             of the segment holding it starts there
//	endOffset    offset after the last uploaded batch, -1 if nothing was ever
//	             uploaded; kept when retention empties the tier, so the
//	             caller still knows what is stored
//	segments     ascending, non-overlapping: base, next, size, indexSize,
//	             timeIndexSize (to check the listing and bound reads),
//	             firstTimestamp (first batch's), maxTimestamp (-1 if none)
//	crc32c       CRC-32C (Castagnoli) of the compact JSON encoding of the
//	             other fields with crc32c 0
//
// Decoding is strict (unknown fields, trailing data, a bad CRC and broken
// invariants are [ErrCorrupt]): a damaged manifest is an error, never an
// empty tier. The manifest is written with one Put, which stores are
// required to make atomic, so a crash leaves the old one or the new one.
//
// # Crash safety
//
// Every change writes objects in an order that leaves, at any crash point,
// a manifest whose every object exists, plus possibly objects it does not
// list (orphans), which OpenRemote deletes:
//
//   - Upload: .log, .index, .timeindex, then the manifest.
//   - DeleteBefore, EnforceRetention: the manifest, then the objects of the
//     dropped segments (a failed deletion is retried by the next change).
//   - DeleteAll: the manifest, then everything else under the partition.
//
// OpenRemote also checks that each object the manifest lists is in the
// store with the recorded size, and fails with ErrCorrupt otherwise.
//
// # Concurrency
//
// A Remote publishes its manifest through an atomic pointer; a manifest is
// never changed once published, so reads take no lock. Changes are
// serialized by two locks, taken in this order:
//
//  1. Remote.upload: held by Upload for its whole length and by DeleteAll;
//     it keeps a second Upload (and DeleteAll's sweep) away from objects an
//     Upload is writing.
//  2. Remote.mu: held while a new manifest is computed, written and
//     published and the objects it dropped are deleted, so DeleteBefore
//     and EnforceRetention do not wait for an Upload's object writes, only
//     for its manifest write.
//
// Both are held across object store calls; neither is taken by reads.
//
// The Cache's lock is a leaf: nothing else is taken while it is held, and
// it is never held across I/O.
package tiered
