// Package benchcmp benchmarks streamlite against franz-go's kfake, the project's baseline,
// with the same franz-go load (engine/loadgen) in the same run, and reports
// streamlite/kfake ratios. It holds no code of its own besides this comment: everything is
// in its tests.
//
// Both brokers run in-process on loopback ports, durable, one at a time:
//
//   - kfake: kfake.NewCluster with one broker, kfake.DataDir (a temp dir) and
//     kfake.SyncWrites (every batch fsynced before it is answered), its fair durable mode;
//   - streamlite: engine.Start with DataDir = a temp dir and Flush = engine.FlushSync
//     (acks=all answered after a group-committed fsync).
//
// The scenarios write 1 KiB records with acks=all (idempotent, one producer, no linger, no
// compression) to a fresh topic of 1 and of 8 partitions, and read each topic back by
// partition. The comparison also runs a transactional pair on 8 partitions: a quarter of the
// records from one transactional producer, 1,000 per transaction, each flushed and committed
// before the next (txn-produce-p8), then read back read_committed (txn-consume-p8). Both
// brokers get the same client options.
//
// The Go benchmark, one broker and scenario at a time (MB/s, records/s, p50/p99 produce
// latency in ms; one iteration writes or reads STREAMLITE_BENCH_RECORDS records):
//
//	go test ./engine/benchcmp/ -run '^$' -bench . -benchtime 1x
//	go test ./engine/benchcmp/ -run '^$' -bench 'Brokers/streamlite/produce-p8' -benchtime 1x \
//		-cpuprofile cpu.out -memprofile mem.out
//
// The comparison, every scenario on both brokers interleaved for STREAMLITE_BENCH_ROUNDS
// rounds, printing a table of medians and ratios:
//
//	STREAMLITE_BENCH_COMPARE=1 go test ./engine/benchcmp/ -run Compare -v -timeout 20m
//
// Environment:
//
//	STREAMLITE_BENCH_COMPARE=1      run TestCompareBrokers (skipped otherwise)
//	STREAMLITE_BENCH_RECORDS=N      records per produce run and per read (default 200000)
//	STREAMLITE_BENCH_ROUNDS=R       rounds of TestCompareBrokers (default 3)
//
// Two more comparisons measure streamlite against itself: what the schema check on produce
// costs (no check, id mode, decode mode) and what reading from the remote tier of tiered
// storage costs (cold cache after a restart, warm cache, and the same data read locally; on
// the file store, and on S3 through versitygw with STREAMLITE_BENCH_TIERED_S3=1):
//
//	STREAMLITE_BENCH_SCHEMA=1 go test ./engine/benchcmp/ -run CompareSchemaCheck -v
//	STREAMLITE_BENCH_TIERED=1 STREAMLITE_BENCH_TIERED_S3=1 go test ./engine/benchcmp/ -run CompareTieredRead -v
//
// The SQL comparison measures persistent queries (package sql/runtime) against the rate
// their input can be read at. Each round starts a fresh durable streamlite and writes
// STREAMLITE_BENCH_RECORDS JSON clicks ({"PAGE":"p12","MS":123,"REGION":"eu"}, keys u0..u999,
// timestamps 10 ms apart) to a topic of 4 partitions. Then it reads the topic with a
// read_committed franz-go consumer, the raw rate. After that, each on a SQL server of its own
// so that it reads from the start, come a filter/project query (CREATE STREAM ... AS SELECT
// ... WHERE ms % 2 = 0) and a 10 s tumbling-window COUNT and SUM per user. A query's time runs
// from Execute until SHOW QUERIES counts every record processed (committed), so it includes
// the query's start. The table gives records/s of input with each query's ratio to the raw
// rate; the goals are 0.50x for filter/project and 0.25x for the window. To show the start
// apart from the steady rate, it also gives each query's time to its first commit and its rate
// after that:
//
//	STREAMLITE_BENCH_SQL=1 go test ./engine/benchcmp/ -run CompareSQL -v
//
// The push-query comparison measures what push queries cost a producer (issue 10: 50 of
// them must cost under 20% of its throughput). Each round starts a fresh durable
// streamlite, the SQL runtime and its REST API on a loopback HTTP server, and a stream
// over topic events (4 partitions, JSON). One idempotent acks=all producer writes
// STREAMLITE_BENCH_RECORDS records of 37 B JSON at full speed, (a) alone and (b) while 50
// push queries (SELECT * FROM events EMIT CHANGES, from latest, over /query-stream) read
// every row, the order alternating by round. The table gives produce records/s, the
// ratio (b)/(a), the rows/s the queries delivered meanwhile, how long after the producer
// they had delivered everything, the peak heap (HeapInuse) and RSS growth, and the CPU
// the process used (in cores); STREAMLITE_BENCH_PUSH_PROFILE=PREFIX writes a CPU profile
// of each produce run and a heap profile at its end:
//
//	STREAMLITE_BENCH_PUSH=1 go test ./engine/benchcmp/ -run ComparePushQueries -v -timeout 30m
package benchcmp
