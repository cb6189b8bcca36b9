// Package txn is streamlite's transaction coordinator: InitProducerID for transactional ids,
// AddPartitionsToTxn, AddOffsetsToTxn, EndTxn, the transaction timeout, transactional-id
// expiry, and DescribeTransactions and ListTransactions for tooling, answered as Apache
// Kafka's TransactionCoordinator answers them under transaction version 1 (before KIP-890
// part 2: the broker never advertises transaction.version, so clients add partitions
// explicitly, and EndTxn does not bump the epoch). engine/kafka decodes the requests and calls
// the Coordinator; the Produce and TxnOffsetCommit handlers call BeginWrite around each
// transactional append. Idempotence itself (sequence numbers, duplicates) is the partition
// log's (engine/log); producer ids come from blocks recorded in the metadata log
// (cluster.NextProducerID).
//
// # Caller's contract
//
//  1. Open the cluster and the group coordinator, then New(Config{Cluster, Groups}). New
//     replays __transaction_state and finishes every transaction a crash left decided but
//     without all its markers before it returns (see Recovery).
//  2. Run(ctx) on a goroutine of its own, for the timeouts, marker retries and expiry.
//  3. Call the request methods from any goroutine. They return once their outcome is
//     durable. Operations on one transactional id wait for each other (an EndTxn writing
//     markers holds back the id's next InitProducerID, say) but never for other ids.
//  4. Close the Coordinator after the Kafka server (no requests left) and before the group
//     coordinator and the cluster, which its marker writes use.
//
// # States
//
// Kafka's, by the numbers TxnMetadataValue stores:
//
//	Empty (0)          initialized, no transaction open; after InitProducerID
//	Ongoing (1)        partitions added; records may be written
//	PrepareCommit (2)  commit decided, markers being written
//	PrepareAbort (3)   abort decided, markers being written
//	CompleteCommit (4) every commit marker durable
//	CompleteAbort (5)  every abort marker durable
//	Dead (6)           never stored here: an expired id is a tombstone
//	PrepareEpochFence (7) never stored (as in Kafka); read as PrepareAbort if found
//
// InitProducerID: new id → Empty at epoch 0 with a fresh producer id; Ongoing → (fence abort,
// below) → Empty at epoch+1; Empty/Complete* → Empty at epoch+1, or a fresh producer id at
// epoch 0 once the epoch reaches MaxInt16-1 (an epoch is never handed out that the
// coordinator could not fence with one more). AddPartitionsToTxn/AddOffsetsToTxn: Empty,
// Complete* or Ongoing → Ongoing (StartTimestamp set when it becomes Ongoing). EndTxn: Ongoing
// → Prepare* → markers → Complete*. A fence abort (InitProducerID finding a transaction open,
// or the transaction timeout) persists PrepareAbort at epoch+1 and writes the abort markers
// with that epoch, so the producer holding the old epoch is refused by the coordinator
// (PRODUCER_FENCED) and by every partition of the transaction (INVALID_PRODUCER_EPOCH): this
// is how a zombie producer with the same transactional id is fenced.
//
// # Durable state
//
// The internal compacted topic __transaction_state (transaction.state.log.num.partitions =
// 50, cleanup.policy=compact, segment.bytes=104857600, retention.ms=-1), created on first use.
// An id maps to partition abs(javaStringHashCode(id)) % partitions, as in Kafka. Each write is
// one uncompressed v2 record batch (producer id -1) of one record in Kafka's own format, and a
// request is answered only once that batch is durable (Partition.Durable):
//
//	key   TxnMetadataKey   v0  transactional id
//	value TxnMetadataValue v0  producer id, epoch, timeout, state, partitions (null when
//	                           Empty), last update and start timestamps; a null value (a
//	                           tombstone) removes an expired id
//
// Why a topic rather than records in the metadata log: a transaction writes its state several
// times (init, add partitions, prepare, complete) and at the rate of the producers; the topic
// shares the partition flusher's group commit with the data it describes, while the metadata
// log syncs on its own; compaction keeps only each id's last state, where the metadata log
// would need snapshots of every id; and it is the layout Kafka's tools expect (Kafka's own
// coordinator and kafka-dump-log read it).
//
// # Recovery
//
// New reads every partition from its log start to its high watermark; the last value of a key
// wins. Undecodable batches and records are skipped and logged. Then every id found in
// PrepareCommit or PrepareAbort gets its markers written again to every partition of the
// transaction (a second marker where the first one landed is harmless, as in Kafka) and is
// completed; one that still cannot be finished stays prepared and Run retries it. Ongoing
// transactions stay open, and the timeout aborts them when due (their producers are gone or
// will be fenced by their next InitProducerID). A write whose answer was lost to the crash is
// in the log or not; either way the client retries and gets a consistent answer.
//
// # Markers
//
// A marker (log.Marker: producer id, epoch, commit or abort, coordinator epoch 0) goes to
// every partition of the transaction at once (at most 32 concurrent writes), each waited on
// until durable: data partitions through Partition.AppendMarker, __consumer_offsets partitions
// through the group coordinator's WriteTxnMarker, which also commits or drops the offsets
// TxnOffsetCommit left pending. A partition whose topic was deleted meanwhile is skipped, and so
// is one whose log already knows a newer epoch of the producer (Kafka's marker writer gives up
// on those too). If a write fails, the transaction stays prepared with the partitions still
// missing a marker; its outcome is already durable, so EndTxn answers success as Kafka does
// (Kafka answers EndTxn once the decision is in its log and writes markers afterwards), the
// id's next request finishes the markers or gets CONCURRENT_TRANSACTIONS (retriable), Run
// retries every CheckInterval, and a restart finishes them.
//
// # Concurrency
//
// One txn object per transactional id. Its op lock (a one-slot channel, so waits end with the
// request's context or Close) serializes the id's operations and is held across their writes;
// its mu guards the state for readers that must not wait for I/O: BeginWrite, Describe and
// List. State fields change only with both held, so an operation holding op reads them freely.
// BeginWrite, under mu, admits a transactional append only while the transaction is Ongoing
// and counts it in writers until release. EndTxn (and a fence abort) persists the decision,
// sets Prepare* under mu, after which BeginWrite refuses, and waits for writers to drain to 0
// before writing markers: a batch admitted before the decision is in the log before the
// marker, and none is admitted after it. Run skips an id whose op lock is taken (it is busy
// with a request) until the next tick.
//
// Lock order: txn.op, then Coordinator.mu (the map of ids), then txn.mu. None is held while
// waiting for another id's. __transaction_state is created on first use by
// cluster.EnsureTopic. Coordinator.ops counts operations in progress so Close can wait for them.
//
// # Defaults (Kafka's broker configs)
//
// transaction.max.timeout.ms 900000, transactional.id.expiration.ms 604800000 and
// transaction.state.log.num.partitions 50 are Kafka's; the timeout check runs every second
// (Kafka: transaction.abort.timed.out.transaction.cleanup.interval.ms, 10 s) so a timed-out
// transaction stops holding back read_committed consumers sooner.
//
// # Deliberate gaps
//
// Transaction version 2 (KIP-890 part 2: implicit partition adds, an epoch bump per
// transaction, AddPartitionsToTxn v4+ and EndTxn v5) is not served. The previous producer id
// and epoch that let a KIP-360 InitProducerID retry be recognised are kept in memory only (TV1's
// value v0 has no field for them, as in Kafka), so such a retry after a restart is fenced. The
// coordinator epoch is always 0 (one coordinator, never moved). producer.id.expiration.ms is
// the partition log's concern; expiry here removes only transactional ids. Authorization
// (transactional-id ACLs) is not checked.
package txn
