package kafka_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/streamlite/streamlite/engine/enginetest"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// ListOffsets (KIP-79 offsets by timestamp, KIP-734 max timestamp): earliest (-2) is the log
// start, latest (-1) the high watermark, max timestamp (-3) the record with the largest
// timestamp, and a timestamp the earliest offset whose record timestamp is at or after it, or
// -1 when there is none. Compressed batches are searched by their records, not their headers.
func TestListOffsets(t *testing.T) {
	t.Parallel()
	for _, durable := range []bool{false, true} {
		opts := []enginetest.Option{}
		if durable {
			opts = append(opts, enginetest.Durable())
		}
		b := enginetest.New(t, opts...)
		c := dialRaw(t, b.Addr())
		for name, codec := range map[string]kgo.CompressionCodec{"none": kgo.NoCompression(), "zstd": kgo.ZstdCompression(), "gzip": kgo.GzipCompression()} {
			topic := "lo-" + name
			if _, err := b.Admin().CreateTopic(testCtx(t), 1, 1, nil, topic); err != nil {
				t.Fatal(err)
			}
			p := b.Client(kgo.DefaultProduceTopic(topic), kgo.ProducerBatchCompression(codec), kgo.ProducerLinger(0))
			batch := func(ms ...int64) {
				var recs []*kgo.Record
				for _, m := range ms {
					recs = append(recs, &kgo.Record{Value: fmt.Appendf(nil, "%d", m), Timestamp: time.UnixMilli(m)})
				}
				produceSync(t, p, recs...)
			}
			// offsets:     0     1     2  |  3     4     5
			batch(1000, 2000, 3000)
			batch(5000, 4000, 6000)

			what := fmt.Sprintf("durable=%v %s", durable, name)
			cases := []struct {
				ts         int64
				off, recTs int64
			}{
				{-2, 0, -1},
				{-1, 6, -1},
				{-3, 5, 6000},
				{0, 0, 1000},
				{1000, 0, 1000},
				{1001, 1, 2000},
				{2500, 2, 3000},
				{3001, 3, 5000},
				{4000, 3, 5000}, // offset 4 has 4000, but offset 3 (5000) comes first
				{5500, 5, 6000},
				{6000, 5, 6000},
				{6001, -1, -1}, // beyond the end
				{1 << 50, -1, -1},
			}
			for _, tc := range cases {
				lo := listOffset(t, c, topic, 0, tc.ts)
				errCode(t, what, lo.ErrorCode, nil)
				if lo.Offset != tc.off || lo.Timestamp != tc.recTs {
					t.Errorf("%s: timestamp %d → offset %d ts %d, want offset %d ts %d", what, tc.ts, lo.Offset, lo.Timestamp, tc.off, tc.recTs)
				}
			}
			// The same through kadm.
			lo, err := b.Admin().ListOffsetsAfterMilli(testCtx(t), 2500, topic)
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := lo.Lookup(topic, 0); got.Offset != 2 || got.Err != nil {
				t.Errorf("%s: kadm offsets after 2500: %+v", what, got)
			}
		}
		// Empty partition: earliest = latest = 0, max timestamp and any timestamp → -1.
		if _, err := b.Admin().CreateTopic(testCtx(t), 1, 1, nil, "lo-empty"); err != nil {
			t.Fatal(err)
		}
		for ts, want := range map[int64]int64{-2: 0, -1: 0, -3: -1, 0: -1} {
			if lo := listOffset(t, c, "lo-empty", 0, ts); lo.ErrorCode != 0 || lo.Offset != want {
				t.Errorf("empty partition, timestamp %d: %+v, want offset %d", ts, lo, want)
			}
		}
		errCode(t, "unknown topic", listOffset(t, c, "nope", 0, -1).ErrorCode, kerr.UnknownTopicOrPartition)
		errCode(t, "unknown partition", listOffset(t, c, "lo-none", 3, -1).ErrorCode, kerr.UnknownTopicOrPartition)
	}
}
