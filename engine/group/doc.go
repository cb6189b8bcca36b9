// Package group is streamlite's group coordinator: the classic consumer-group protocol
// (JoinGroup, SyncGroup, Heartbeat, LeaveGroup), the KIP-848 consumer protocol
// (ConsumerGroupHeartbeat, ConsumerGroupDescribe), committed offsets (OffsetCommit, OffsetFetch,
// OffsetDelete), transactional offsets (TxnOffsetCommit, and the transaction markers the
// transaction coordinator writes through WriteTxnMarker) and group administration
// (DescribeGroups, ListGroups, DeleteGroups), answered as Apache Kafka's GroupCoordinator
// answers them. engine/kafka decodes the requests and calls the Coordinator; the Coordinator
// returns the kmsg responses.
//
// # Caller's contract
//
//  1. Open the cluster, then New(Config{Cluster: c}). New replays __consumer_offsets (if it
//     exists) before it returns, so offsets committed before a restart are served at once.
//  2. Call the request methods from any goroutine. JoinGroup and SyncGroup block until the
//     rebalance answers them, as Kafka parks them, or until their ctx ends (the connection
//     closed); the other methods return once their answer is ready (commits once durable).
//  3. Transactions (engine/txn and engine/kafka): OffsetsPartition(group) is the partition of
//     __consumer_offsets that AddOffsetsToTxn adds to a transaction. The TxnOffsetCommit
//     handler checks with the transaction coordinator that this partition is in the producer's
//     ongoing transaction, then calls TxnOffsetCommit, and lets the transaction coordinator
//     write markers only after TxnOffsetCommit returns: by then its batch is appended or never
//     will be, even if ctx ended first. To end the transaction, the transaction coordinator calls
//     WriteTxnMarker for that partition; once it returns nil, OffsetFetch serves the outcome.
//     On error it calls it again (it is idempotent), as it does during recovery for every
//     transaction left without markers.
//  4. Close the Coordinator before the cluster: Close stops every group goroutine and waits
//     for them; requests still waiting are answered with COORDINATOR_NOT_AVAILABLE, and a
//     WriteTxnMarker still waiting returns ErrClosed.
//
// # Concurrency
//
// Each group has one goroutine that owns its state (members, generation, offsets, deadlines);
// requests, timer expiries and write completions are closures queued to it, and it runs them
// one at a time. There is no lock across groups: the Coordinator's mu guards only the map from
// name to group. A group goroutine exits when the group is deleted or when Close is called.
// Deadlines (session timeouts, the rebalance timeout, the initial rebalance delay, the pending
// sync timeout) are fields of the state; the goroutine arms one timer for the earliest.
//
// WriteTxnMarker, once its marker is durable, queues the marker's completion to every group
// of that offsets-topic partition and waits until each has run it.
//
// Lock order: Coordinator.mu, then group.q (the queue). Neither is held across I/O or while a
// closure runs. __consumer_offsets is created on first use by cluster.EnsureTopic.
//
// # Durable state
//
// Committed offsets and group metadata are records in the compacted internal topic
// __consumer_offsets (50 partitions, offsets.topic.num.partitions), exactly as Kafka writes
// them, so Kafka's tools can read the topic. A group's partition is
// abs(javaStringHashCode(group)) % partitions. Each write is one uncompressed v2 record batch
// (producer id -1) appended to that partition; commits are answered once the batch is durable
// (acks=all). A TxnOffsetCommit is one transactional batch instead (attributes 0x10, the
// producer id and epoch of the request, base sequence -1), and the transaction ends with a
// control batch (the marker, commit or abort) written by WriteTxnMarker in the same partition,
// as Kafka writes them. The records, keys and values big-endian as Kafka's schemas say:
//
//	key   OffsetCommitKey   v1  group, topic, partition       one committed offset
//	value OffsetCommitValue v3  offset, leader epoch, metadata, commit timestamp; null deletes
//	key   GroupMetadataKey  v2  group                         the group's membership
//	value GroupMetadataValue v3 protocol type, generation, protocol, leader, members and
//	                            their assignments; null deletes the group
//
// New reads every partition from its log start to its high watermark and applies the records
// in order: the last value of a key wins and a null value removes it. Groups come back Empty
// with their protocol type and generation; members are not restored as live, so they rejoin,
// as after a Kafka coordinator failover. Batches that are compressed or fail their CRC, and
// control batches that hold no marker, are skipped (and logged); undecodable records are
// skipped.
//
// # Transactional offsets
//
// The offsets of a transactional batch are pending for its producer (per group and partition,
// the producer's last one), not committed. A commit marker of that producer in the same
// partition makes them committed offsets; an abort marker drops them. Of a pending offset and a
// committed one of the same partition, the one whose record comes later in the log wins when
// the marker commits, so a plain OffsetCommit written after the transactional one (but before
// its marker) stays, as in Kafka. A tombstone of a key (OffsetDelete, DeleteGroups) drops the
// key's pending offsets of every producer too, as Kafka's replay does; DeleteGroups also writes
// tombstones for the partitions that have only pending offsets, so a deleted group's open
// transactions commit nothing into it (Kafka's deleteAllOffsets). Offsets still pending at the
// end of the replay stay pending (OffsetFetch with RequireStable answers
// UNSTABLE_OFFSET_COMMIT for them; without it, the previous committed offset) until the
// transaction coordinator's recovery writes their marker. The same rules apply live: pending
// offsets are kept from the append on and completed by WriteTxnMarker on the group's
// goroutine, so the in-memory state always equals a replay of the log.
//
// # The consumer protocol (KIP-848)
//
// A group is either classic or consumer (group.cg set). An empty classic group (offsets only,
// as after a restart) becomes a consumer group on the first ConsumerGroupHeartbeat join, and an
// empty consumer group a classic one on the first JoinGroup; a group with members of one
// protocol refuses the other (GROUP_ID_NOT_FOUND, INCONSISTENT_GROUP_PROTOCOL): there is no
// online migration. The coordinator assigns partitions with the "uniform" (default, sticky and
// balanced) or "range" assignor, the one most members ask for. Any change of membership,
// subscription, assignor or of the subscribed topics' partitions (seen at the next heartbeat)
// bumps the group epoch and recomputes the target assignment at once. Members reconcile
// incrementally: a partition moves only after its previous owner acknowledged revoking it (by
// heartbeating without it). Commits of a consumer group come from members (OffsetCommit v9+)
// and are checked as KIP-1251 relaxes Kafka's check: STALE_MEMBER_EPOCH for an epoch newer
// than the member's, or for a partition given to the member after the request's epoch.
// Members are not persisted: after a restart they get UNKNOWN_MEMBER_ID and rejoin; offsets
// persist as for classic groups (no ConsumerGroup* records are written).
//
// group.consumer.heartbeat.interval.ms is 5 s and group.consumer.session.timeout.ms 45 s, as
// in Kafka (Config fields). A member still reconciling is asked to heartbeat after 250 ms
// instead, so a rebalance takes about one interval rather than several.
//
// # Defaults (Kafka's broker configs)
//
// group.min.session.timeout.ms 6000, group.max.session.timeout.ms 1800000,
// offset.metadata.max.bytes 4096 and offsets.topic.num.partitions 50 are Kafka's.
// group.initial.rebalance.delay.ms is 100 ms here (Kafka: 3000): long enough that members
// starting together land in one generation, short enough for tests and laptops.
//
// # Deliberate gaps
//
// Offsets are never expired (offsets.retention.minutes); empty groups with offsets stay until
// deleted. Offsets of a deleted topic stay until OffsetDelete or DeleteGroups. group.max.size is
// unbounded. Subscription regexes use Go's RE2 syntax (Kafka uses RE2/J; the two agree on
// common patterns).
package group
