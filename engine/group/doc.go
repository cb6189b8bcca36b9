// Package group is streamlite's group coordinator: the classic consumer-group protocol
// (JoinGroup, SyncGroup, Heartbeat, LeaveGroup), committed offsets (OffsetCommit, OffsetFetch,
// OffsetDelete) and group administration (DescribeGroups, ListGroups, DeleteGroups), answered as
// Apache Kafka's GroupCoordinator answers them. engine/kafka decodes the requests and calls the
// Coordinator; the Coordinator returns the kmsg responses.
//
// # Caller's contract
//
//  1. Open the cluster, then New(Config{Cluster: c}). New replays __consumer_offsets (if it
//     exists) before it returns, so offsets committed before a restart are served at once.
//  2. Call the request methods from any goroutine. JoinGroup and SyncGroup block until the
//     rebalance answers them, as Kafka parks them, or until their ctx ends (the connection
//     closed); the other methods return once their answer is ready (commits once durable).
//  3. Close the Coordinator before the cluster: Close stops every group goroutine and waits
//     for them; requests still waiting are answered with COORDINATOR_NOT_AVAILABLE.
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
// Lock order: Coordinator.mu, then group.q (the queue). Neither is held across I/O or while a
// closure runs. topicMu serializes the lazy creation of __consumer_offsets and is taken alone.
//
// # Durable state
//
// Committed offsets and group metadata are records in the compacted internal topic
// __consumer_offsets (50 partitions, offsets.topic.num.partitions), exactly as Kafka writes
// them, so Kafka's tools can read the topic. A group's partition is
// abs(javaStringHashCode(group)) % partitions. Each write is one uncompressed v2 record batch
// (producer id -1) appended to that partition; commits are answered once the batch is durable
// (acks=all). The records, keys and values big-endian as Kafka's schemas say:
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
// as after a Kafka coordinator failover. Batches that are compressed, transactional control
// batches, or fail their CRC are skipped (and logged); undecodable records are skipped.
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
// unbounded. Transactional offset commits and the KIP-848 consumer protocol are not served yet.
package group
