// Package log is the durable partition log: Kafka record batches (magic v2)
// stored exactly as producers sent them, in segment files with sparse
// offset and time indexes, laid out as Kafka lays out a partition directory
// so Kafka tooling and the tiered store can use the files as they are.
//
// # Caller's contract
//
//  1. Create one Flusher per data dir; Open each partition with it.
//  2. Validate a produced batch (size, magic, CRC), then Append it. Append
//     writes the assigned base offset into the caller's buffer and returns
//     the offsets (or Duplicate for an idempotent retry).
//  3. For acks=all call Durable(LastOffset, done) and answer in done. For
//     acks=0/1 answer at once: the flusher fsyncs the partition promptly.
//  4. Fetch with Read up to HighWatermark; park on Watch for more.
//  5. Periodically call EnforceRetention, and Clean on a partition whose
//     cleanup.policy includes compact (Compacted). Clean runs a pass only
//     when one is due and never blocks Append or Read; the produce path
//     must refuse records without a key on a Compacted partition (Kafka's
//     INVALID_RECORD), which the log cannot see since it never decodes
//     records on append. Close partitions, then the Flusher; Close stops a
//     running pass.
//
// # On-disk format
//
// A partition directory holds, per segment, three files named by the
// segment's base offset (the first offset it may hold), zero-padded to 20
// digits so names sort in offset order:
//
//	00000000000000000000.log        batches, back to back
//	00000000000000000000.index      sparse offset index
//	00000000000000000000.timeindex  time index
//	00000000000000004096.snapshot   producer state at offset 4096 (see below)
//	log-start-offset.checkpoint     decimal log start offset, if ever moved
//	cleaner-offset.checkpoint       "offset horizon": everything below offset is clean; the
//	                                earliest kept tombstone's delete horizon (ms, 0 none)
//	00000000000000000000.log.cleaned  a cleaning pass's output, not yet committed
//	00000000000000000000.00000000000000004096.swap
//	                                committed cleaned segment replacing bases [0, 4096)
//
// The .log file is a sequence of record batches exactly as on the wire:
//
//	 0  baseOffset            int64  assigned by Append, written in place
//	 8  batchLength           int32  bytes after this field; lets a scan skip
//	12  partitionLeaderEpoch  int32  always 0 (single node)
//	16  magic                 int8   2
//	17  crc                   uint32 CRC-32C of bytes 21..end; detects torn writes
//	21  attributes            int16  codec, timestamp type, transactional, control
//	23  lastOffsetDelta       int32  offsets the batch spans
//	27  firstTimestamp        int64
//	35  maxTimestamp          int64  feeds the time index and retention
//	43  producerId            int64  idempotence
//	51  producerEpoch         int16  idempotence (fencing)
//	53  baseSequence          int32  idempotence (ordering, duplicates)
//	57  numRecords            int32
//	61  records...                   possibly compressed; never decoded to serve
//
// baseOffset and the leader epoch lie before the CRC'd range, so assigning
// offsets never recomputes the CRC. Nothing is added around a batch: the CRC
// already detects a torn or corrupt tail, and keeping the bytes identical to
// Kafka's lets segments be uploaded and served as they are.
//
// The .index file is a sequence of 8-byte entries, as in Kafka:
//
//	0  relOffset  uint32  last offset of an indexed batch minus the base
//	4  position   uint32  byte position of that batch in the .log file
//
// An entry is added for a batch once more than index.interval.bytes were
// written since the previous entry, so a lookup reads at most about that
// many bytes of headers before reaching the wanted batch. Relative offsets
// and positions fit 4 bytes because a segment rolls before either would
// overflow (segment.bytes is capped at 2 GiB − 1).
//
// The .timeindex file is a sequence of 12-byte entries:
//
//	0  maxTimestamp  int64   a batch's max timestamp
//	8  relOffset     uint32  that batch's last offset minus the base
//
// An entry is added whenever a batch raises the segment's max timestamp, so
// timestamps strictly increase, the last entry is the segment's max (used
// by retention.ms and ListOffsets -3), and the first entry >= t names the
// first batch that can hold a record at or after t.
//
// A .snapshot file holds the producer and transaction state as of its
// offset (the state after every batch below it), as Kafka's producer
// snapshots do: one is written at each roll, named by the new segment's
// base, and one at Close, named by the log end offset. Big-endian:
//
//	 0  version        int16   2 (1, written before transactions, is still read)
//	 2  crc            uint32  CRC-32C of bytes 6..end; a torn or rotten file is ignored
//	 6  offset         int64   the offset in the name, so a renamed file is refused
//	14  count          int32   producers that follow, by ascending id
//	    per producer, 31 bytes + 24 per batch (v1: 19, without the two txn fields):
//	 0  producerId     int64
//	 8  producerEpoch  int16   fencing
//	10  lastTimestamp  int64   ms of its last append: producer.id.expiration.ms counts from it
//	18  coordEpoch     int32   coordinator epoch of its last marker
//	22  txnFirst       int64   first offset of its open transaction here, -1 if none
//	30  batches        int8    0..5, oldest first, then per batch:
//	 0    baseSequence int32   duplicate detection and the next expected sequence
//	 4    lastSequence int32
//	 8    baseOffset   int64   the offsets a Duplicate answers with
//	16    lastOffset   int64   below the snapshot's offset
//	    then (v2):
//	    aborted        int32   aborted transactions that follow, by ascending marker offset
//	 0    producerId   int64
//	 8    firstOffset  int64   its first record in this partition
//	16    lastOffset   int64   its abort marker
//
// # Transactions
//
// A transactional batch opens its producer's transaction in the partition;
// the marker the coordinator appends (AppendMarker: a one-record control
// batch, Kafka's ControlRecordType key and EndTransactionMarker value) ends
// it. LastStableOffset is the first offset of the earliest transaction still
// open, or ended by a marker not yet below the high watermark, else the
// high watermark; read_committed reads stop there (ReadTo). Aborted
// transactions are kept in memory, ordered by marker, and in every snapshot
// (Kafka keeps them in per-segment .txnindex files); recovery rebuilds the
// ones after the snapshot it loads from the markers it finds while scanning
// batch headers. They are forgotten once their marker is below the log start.
//
// Producers idle for producer.id.expiration.ms are dropped when a snapshot
// is written (from memory too), so the state stays bounded. Snapshots below
// the first segment are deleted with the segments (retention,
// DeleteRecordsBefore); the one at the first segment's base stays, and each
// snapshot holds every producer still known, not only those whose batches
// remain.
//
// # Compaction
//
// Clean is Kafka's log cleaner. A pass maps each key of the dirty section
// (closed segments from the cleaner checkpoint to the first segment that is
// not below the high watermark or holds a record newer than
// min.compaction.lag.ms; the active segment is never cleaned) to its
// latest offset, then rewrites every closed segment below the section's end,
// in groups merged while their sizes sum to at most segment.bytes, keeping a
// record only if no later record of its key is in the map. Records without
// a key are dropped, as Kafka's cleaner does.
//
// Offsets never change, as in Kafka: a rewritten batch keeps its baseOffset,
// lastOffsetDelta, producer id, epoch and base sequence, and each record its
// offset delta; numRecords, the CRC and maxTimestamp (CreateTime) are
// recomputed, the records re-encoded and recompressed with the batch's
// codec. So a batch still spans its original offsets, the indexes keep
// working (they key on a batch's last offset), and a Read or timestamp
// lookup at an offset inside a gap gets the next batch. A batch emptied of
// records is dropped, unless it is its idempotent producer's newest: then
// its header stays with numRecords 0, so producer state rebuilt from batch
// headers still knows the producer's last sequence. Control and
// transactional batches are kept whole and hide no other record until
// transactions land.
//
// A tombstone (null value) is kept until delete.retention.ms after the pass
// that first kept it. That pass records the horizon in the batch as KIP-534
// does: attribute bit 6 set, firstTimestamp the horizon and the record
// timestamp deltas rebased on it, so clients still read each record's own
// timestamp. A later pass past the horizon removes the tombstone; the
// checkpoint file remembers the earliest horizon so that pass runs on time,
// across restarts too.
//
// A group is swapped in crash-safely. Its cleaned copy is written to
// BASE.log.cleaned and fsynced; renaming it to BASE.END.swap and fsyncing
// the directory is the commit point; the group leaves the in-memory list
// (readers keep their references; a reader crossing to the next segment
// notices the swap by a generation count and finds its offset again); the
// group's other files and BASE's index files are removed and the directory
// fsynced; BASE.END.swap is renamed over BASE.log and the directory fsynced;
// the index files are written. Open removes any .log.cleaned (not
// committed) and completes any .swap (removes every segment with a base in
// [BASE, END), renames it to BASE.log), so a kill at any moment leaves
// either the old segments or the cleaned one, never both. The checkpoint
// is written last; a pass killed before it is redone, harmlessly.
//
// # Durability and recovery
//
// Index entries live in memory; the index files are written whole when a
// segment is sealed (rolled) and when the partition closes, never fsynced.
// On Open the active (last) segment is always scanned: every batch's header
// and CRC is checked, its indexes rebuilt, and a torn or corrupt tail cut,
// fsynced and logged (bytes and first lost offset). A closed segment's index
// files are loaded and checked (well formed, inside the segment, and
// complete: the batches after the last offset entry would not have earned
// another entry nor raised the max timestamp); otherwise the segment is
// scanned the same way and its indexes rewritten.
//
// Producer state for idempotence comes from the newest snapshot at or below
// the recovered log end whose CRC and contents check out (a bad one is
// logged and deleted, and the next older tried), then from the headers of
// the batches from its offset to the log end: one pread of the 61-byte
// header per batch, the body skipped. After a Close nothing is left to read;
// after a crash, about the active segment; with no usable snapshot, every
// segment. Snapshots past the log end (a cut tail) are deleted and the
// directory fsynced, so one can never describe offsets written anew.
// Producers found in the headers count as seen at Open, since the log does
// not record append times.
//
// A roll's snapshot is written to a temporary file and published (fsynced,
// renamed, then the directory fsynced) by the flush round that fsyncs the
// segments it follows, so a published snapshot never describes data that
// is not durable; under FlushNone it is renamed at once. Close fsyncs its
// snapshot before returning. A snapshot that fails to be written costs
// only a longer scan at the next Open.
//
// Under FlushSync the high watermark is the fsynced end: the Flusher's
// rounds fdatasync every dirty partition's files (and the directory when a
// segment file was created), then advance the watermark and run Durable
// callbacks. Under FlushInterval and FlushNone the watermark is the log end.
package log
