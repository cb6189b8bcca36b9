// Package loadgen is a Kafka load generator: it produces fixed-size records
// to a topic and reads a topic back, and reports throughput and produce
// latency. It is a plain franz-go client (kgo, kadm) against an address and
// has no dependency on the broker, so the same scenario runs against
// streamlite, franz-go's kfake or any Kafka cluster; `streamlite bench` and
// the comparative Go benchmarks both use it.
//
// Runs are deterministic: every record carries the same value (a fixed
// pseudo-random pattern), and records go to partitions in a fixed order, so
// two runs with the same options write the same bytes to the same
// partitions. The hot loop allocates nothing per record: records come from a
// free list sized to the client's buffer, share one value buffer, and
// latency goes into a fixed-size histogram.
package loadgen

import (
	"fmt"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Acks is the producer's required acknowledgement (Kafka's acks). The zero
// value is AcksAll.
type Acks int8

const (
	// AcksAll waits for every in-sync replica (acks=all, -1); producers are
	// idempotent.
	AcksAll Acks = iota
	// AcksLeader waits for the leader only (acks=1); idempotence is off.
	AcksLeader
	// AcksNone waits for nothing (acks=0); idempotence is off.
	AcksNone
)

// ParseAcks parses "all" (or "-1"), "1" or "0".
func ParseAcks(s string) (Acks, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "all", "-1", "":
		return AcksAll, nil
	case "1", "leader":
		return AcksLeader, nil
	case "0", "none":
		return AcksNone, nil
	}
	return 0, fmt.Errorf("loadgen: invalid acks %q: want all, 1 or 0", s)
}

// String returns Kafka's name for the setting: "all", "1" or "0".
func (a Acks) String() string {
	switch a {
	case AcksLeader:
		return "1"
	case AcksNone:
		return "0"
	}
	return "all"
}

func (a Acks) opts() []kgo.Opt {
	switch a {
	case AcksLeader:
		return []kgo.Opt{kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite()}
	case AcksNone:
		return []kgo.Opt{kgo.RequiredAcks(kgo.NoAck()), kgo.DisableIdempotentWrite()}
	}
	return []kgo.Opt{kgo.RequiredAcks(kgo.AllISRAcks())}
}

// Compression is a batch compression codec, by Kafka's compression.type
// name: "none" (or ""), "gzip", "snappy", "lz4" or "zstd".
type Compression string

func (c Compression) codec() (kgo.CompressionCodec, error) { return ParseCompression(string(c)) }

// ParseCompression maps a Kafka compression.type name (none or "", gzip, snappy, lz4, zstd;
// any case) to franz-go's codec.
func ParseCompression(name string) (kgo.CompressionCodec, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "", "none":
		return kgo.NoCompression(), nil
	case "gzip":
		return kgo.GzipCompression(), nil
	case "snappy":
		return kgo.SnappyCompression(), nil
	case "lz4":
		return kgo.Lz4Compression(), nil
	case "zstd":
		return kgo.ZstdCompression(), nil
	}
	return kgo.CompressionCodec{}, fmt.Errorf("invalid compression %q: want none, gzip, snappy, lz4 or zstd", name)
}

// Result is what a run measured.
type Result struct {
	// Topic is the topic written or read.
	Topic string
	// Records and Bytes count records acknowledged (produce) or read
	// (consume); Bytes counts keys and values.
	Records int64
	Bytes   int64
	// Elapsed runs from the first produce or fetch to the last
	// acknowledgement or record; topic creation and offset lookups are
	// not included.
	Elapsed time.Duration
	// P50 and P99 are produce latencies per record, from the produce call
	// to its acknowledgement; zero for consume. They are accurate to about
	// 0.2% (histogram buckets), and to 1µs below 1ms.
	P50, P99 time.Duration
}

// RecordsPerSec is Records over Elapsed.
func (r Result) RecordsPerSec() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Records) / r.Elapsed.Seconds()
}

// MBPerSec is Bytes over Elapsed in MiB (2^20 bytes) per second, as Kafka's
// kafka-producer-perf-test reports "MB/sec".
func (r Result) MBPerSec() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Bytes) / (1 << 20) / r.Elapsed.Seconds()
}
