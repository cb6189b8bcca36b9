package kafka_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/streamlite/streamlite/engine/enginetest"
	"github.com/streamlite/streamlite/engine/kafka"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"
)

// Records produced with every codec and every acks setting come back byte for byte, with
// their keys, headers and partitions: the broker stores batches as they came (KIP-98 record
// batch v2) and serves them whole.
func TestProduceFetchRoundTrip(t *testing.T) {
	t.Parallel()
	codecs := map[string]kgo.CompressionCodec{
		"none": kgo.NoCompression(), "gzip": kgo.GzipCompression(), "snappy": kgo.SnappyCompression(),
		"lz4": kgo.Lz4Compression(), "zstd": kgo.ZstdCompression(),
	}
	acks := map[string]kgo.Acks{"0": kgo.NoAck(), "1": kgo.LeaderAck(), "all": kgo.AllISRAcks()}
	for _, durable := range []bool{false, true} {
		var opts []enginetest.Option
		if durable {
			opts = append(opts, enginetest.Durable())
		}
		b := enginetest.New(t, opts...)
		for cname, codec := range codecs {
			for aname, ack := range acks {
				t.Run(fmt.Sprintf("durable=%v/%s/acks=%s", durable, cname, aname), func(t *testing.T) {
					topic := "rt-" + cname + "-" + aname
					adm := b.Admin()
					if _, err := adm.CreateTopic(testCtx(t), 4, 1, nil, topic); err != nil {
						t.Fatal(err)
					}
					popts := []kgo.Opt{kgo.ProducerBatchCompression(codec), kgo.RequiredAcks(ack), kgo.DefaultProduceTopic(topic)}
					if aname != "all" {
						popts = append(popts, kgo.DisableIdempotentWrite())
					}
					p := b.Client(popts...)
					const n = 60
					want := map[string]*kgo.Record{}
					var recs []*kgo.Record
					for i := range n {
						r := &kgo.Record{
							Key:     fmt.Appendf(nil, "k%d", i%7),
							Value:   []byte(strings.Repeat(fmt.Sprintf("value-%d-", i), 1+i%5)),
							Headers: []kgo.RecordHeader{{Key: "h", Value: fmt.Appendf(nil, "%d", i)}, {Key: "empty"}},
						}
						recs = append(recs, r)
						want[string(r.Value)] = r
					}
					produceSync(t, p, recs...)
					got := consume(t, b, topic, n)
					if len(got) != n {
						t.Fatalf("consumed %d records, want %d", len(got), n)
					}
					perPart := map[int32]int64{}
					for _, r := range got {
						w, ok := want[string(r.Value)]
						if !ok {
							t.Fatalf("unexpected record %q", r.Value)
						}
						delete(want, string(r.Value))
						if string(r.Key) != string(w.Key) {
							t.Fatalf("record %q: key %q, want %q", r.Value, r.Key, w.Key)
						}
						if len(r.Headers) != 2 || r.Headers[0].Key != "h" || string(r.Headers[0].Value) != string(w.Headers[0].Value) || r.Headers[1].Key != "empty" || len(r.Headers[1].Value) != 0 {
							t.Fatalf("record %q: headers %+v", r.Value, r.Headers)
						}
						if aname != "0" && r.Partition != w.Partition {
							t.Fatalf("record %q in partition %d, produced to %d", r.Value, r.Partition, w.Partition)
						}
						// Offsets in a partition are dense from 0 in consumption order.
						if r.Offset != perPart[r.Partition] {
							t.Fatalf("partition %d: offset %d, want %d", r.Partition, r.Offset, perPart[r.Partition])
						}
						perPart[r.Partition]++
					}
					if len(perPart) < 2 {
						t.Fatalf("keys spread over %d partitions, want several", len(perPart))
					}
				})
			}
		}
	}
}

// Every partition of a topic with many partitions is its own log: a record produced to
// partition i is at offset 0 of partition i.
func TestProduceManyPartitions(t *testing.T) {
	t.Parallel()
	const parts = 24
	b := enginetest.New(t, enginetest.Topics(parts, "many"))
	p := b.Client(kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.DefaultProduceTopic("many"))
	var recs []*kgo.Record
	for i := range parts {
		recs = append(recs, &kgo.Record{Partition: int32(i), Value: fmt.Appendf(nil, "p%d", i)})
	}
	produceSync(t, p, recs...)
	got := consume(t, b, "many", parts)
	for _, r := range got {
		if string(r.Value) != fmt.Sprintf("p%d", r.Partition) || r.Offset != 0 {
			t.Fatalf("partition %d offset %d holds %q", r.Partition, r.Offset, r.Value)
		}
	}
}

// A fetch that finds nothing parks (MaxWait) and is answered with data produced after it was
// sent: the fetch is written first, then the record is produced, then the answer is read and
// must hold the record. MaxWait is far above the test timeout, so the answer can only come
// from the new data waking the fetch.
func TestFetchMaxWaitReturnsWhenDataArrives(t *testing.T) {
	t.Parallel()
	for _, durable := range []bool{false, true} {
		t.Run(fmt.Sprintf("durable=%v", durable), func(t *testing.T) {
			t.Parallel()
			opts := []enginetest.Option{enginetest.Topics(2, "wait")}
			if durable {
				opts = append(opts, enginetest.Durable())
			}
			b := enginetest.New(t, opts...)
			c := dialRaw(t, b.Addr())
			req := kmsg.NewPtrFetchRequest()
			req.ReplicaID = -1
			req.MaxWaitMillis = 600_000
			req.MinBytes = 1
			req.MaxBytes = 1 << 20
			req.SessionEpoch = -1
			rt := kmsg.NewFetchRequestTopic()
			rt.Topic = "wait"
			for p := range int32(2) {
				rp := kmsg.NewFetchRequestTopicPartition()
				rp.Partition = p
				rp.PartitionMaxBytes = 1 << 20
				rp.CurrentLeaderEpoch = -1
				rt.Partitions = append(rt.Partitions, rp)
			}
			req.Topics = append(req.Topics, rt)
			req.SetVersion(12)
			corr := c.send(req)

			// Before the record arrives, the parked fetch must not hold up other requests on
			// other connections.
			prod := b.Client(kgo.RecordPartitioner(kgo.ManualPartitioner()))
			produceSync(t, prod, &kgo.Record{Topic: "wait", Partition: 1, Value: []byte("late")})

			resp := kmsg.NewPtrFetchResponse()
			resp.SetVersion(12)
			c.read(corr, resp)
			p1 := resp.Topics[0].Partitions[1]
			errCode(t, "fetch", p1.ErrorCode, nil)
			if n, recs := batchCount(t, p1.RecordBatches); n != 1 || recs != 1 {
				t.Fatalf("woken fetch returned %d batches / %d records, want the produced record", n, recs)
			}
			if len(resp.Topics[0].Partitions[0].RecordBatches) != 0 {
				t.Fatal("partition 0 returned data it never had")
			}
		})
	}
}

// A client's consumer blocked on an empty topic gets a record produced later, in order.
func TestConsumerBlockedOnEmptyTopicGetsLaterRecords(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t, enginetest.Topics(1, "later"))
	cons := b.Client(kgo.ConsumeTopics("later"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	done := make(chan []*kgo.Record, 1)
	go func() {
		ctx := testCtx(t)
		var out []*kgo.Record
		for len(out) < 3 && ctx.Err() == nil {
			out = append(out, cons.PollFetches(ctx).Records()...)
		}
		done <- out
	}()
	p := b.Client(kgo.DefaultProduceTopic("later"))
	for _, v := range []string{"a", "b", "c"} {
		produceSync(t, p, &kgo.Record{Value: []byte(v)})
	}
	got := <-done
	var vals []string
	for _, r := range got {
		vals = append(vals, string(r.Value))
	}
	if !slices.Equal(vals, []string{"a", "b", "c"}) {
		t.Fatalf("consumer got %q, want [a b c] in order", vals)
	}
}

// produceBatches appends n one-record batches of about size bytes each to topic/partition and
// returns the size of one batch.
func produceBatches(t *testing.T, c *rawConn, topic string, partition int32, n, size int) int {
	t.Helper()
	var blen int
	for i := range n {
		b := kafka.MakeBatch(t, 0, int64(1000+i), fmt.Sprintf("%0*d", size, i))
		blen = len(b)
		sp := c.produceRaw(topic, partition, -1, b)
		errCode(t, "produce", sp.ErrorCode, nil)
		if sp.BaseOffset != int64(i) {
			t.Fatalf("batch %d at offset %d", i, sp.BaseOffset)
		}
	}
	return blen
}

// Fetch byte limits: MaxBytes and PartitionMaxBytes cut at whole batches; the first batch is
// returned whole even when larger than both limits (KIP-74), so a consumer always progresses.
func TestFetchByteLimits(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t, enginetest.Topics(2, "lim"))
	c := dialRaw(t, b.Addr())
	blen := produceBatches(t, c, "lim", 0, 10, 1000)
	produceBatches(t, c, "lim", 1, 10, 1000)

	cases := []struct {
		name              string
		maxBytes, partMax int32
		wantBatches       int
	}{
		{"all", 1 << 20, 1 << 20, 10},
		{"max bytes cuts at whole batches", int32(2*blen + blen/2), 1 << 20, 2},
		{"partition max bytes cuts at whole batches", 1 << 20, int32(3*blen + 1), 3},
		{"exact fit", int32(4 * blen), 1 << 20, 4},
		{"KIP-74 first batch above max bytes", 10, 1 << 20, 1},
		{"KIP-74 first batch above partition max bytes", 1 << 20, 10, 1},
	}
	for _, tc := range cases {
		sp := fetchOnce(t, c, 12, "lim", [16]byte{}, 0, 0, tc.maxBytes, tc.partMax)
		errCode(t, tc.name, sp.ErrorCode, nil)
		n, _ := batchCount(t, sp.RecordBatches)
		if n != tc.wantBatches {
			t.Errorf("%s: %d batches, want %d", tc.name, n, tc.wantBatches)
		}
		if sp.HighWatermark != 10 || sp.LogStartOffset != 0 {
			t.Errorf("%s: high watermark %d, log start %d", tc.name, sp.HighWatermark, sp.LogStartOffset)
		}
	}

	// Across partitions: the response-wide MaxBytes is shared, and only the first partition
	// with data may exceed it.
	req := kmsg.NewPtrFetchRequest()
	req.ReplicaID = -1
	req.MaxBytes = int32(blen + 1)
	req.SessionEpoch = -1
	rt := kmsg.NewFetchRequestTopic()
	rt.Topic = "lim"
	for p := range int32(2) {
		rp := kmsg.NewFetchRequestTopicPartition()
		rp.Partition = p
		rp.PartitionMaxBytes = 1 << 20
		rt.Partitions = append(rt.Partitions, rp)
	}
	req.Topics = append(req.Topics, rt)
	resp := c.roundTrip(req, 12).(*kmsg.FetchResponse)
	n0, _ := batchCount(t, resp.Topics[0].Partitions[0].RecordBatches)
	n1, _ := batchCount(t, resp.Topics[0].Partitions[1].RecordBatches)
	if n0 != 1 || n1 != 0 {
		t.Fatalf("shared max bytes of one batch: partition 0 got %d, partition 1 got %d batches; want 1 and 0", n0, n1)
	}

	// MinBytes above what exists: answered at MaxWait with what there is.
	req = kmsg.NewPtrFetchRequest()
	req.ReplicaID = -1
	req.MaxBytes = 1 << 20
	req.MinBytes = 1 << 30
	req.MaxWaitMillis = 50
	req.SessionEpoch = -1
	rt = kmsg.NewFetchRequestTopic()
	rt.Topic = "lim"
	rp := kmsg.NewFetchRequestTopicPartition()
	rp.FetchOffset = 8
	rp.PartitionMaxBytes = 1 << 20
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp = c.roundTrip(req, 12).(*kmsg.FetchResponse)
	if n, _ := batchCount(t, resp.Topics[0].Partitions[0].RecordBatches); n != 2 {
		t.Fatalf("min bytes unmet: %d batches after MaxWait, want the 2 that exist", n)
	}

	// MinBytes 0 on an empty partition is answered at once with no records.
	b2 := enginetest.New(t, enginetest.Topics(1, "empty"))
	c2 := dialRaw(t, b2.Addr())
	sp := fetchOnce(t, c2, 12, "empty", [16]byte{}, 0, 0, 1<<20, 1<<20)
	if sp.ErrorCode != 0 || len(sp.RecordBatches) != 0 || sp.HighWatermark != 0 {
		t.Fatalf("empty partition: %+v", sp)
	}
}

// Fetch errors (Kafka's Fetch semantics): an offset past the high watermark or below the log
// start is OFFSET_OUT_OF_RANGE with the watermarks filled in; an unknown topic or partition is
// UNKNOWN_TOPIC_OR_PARTITION; v13+ names topics by id and an unknown id is UNKNOWN_TOPIC_ID.
func TestFetchErrors(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t, enginetest.Topics(1, "fe"))
	c := dialRaw(t, b.Addr())
	produceBatches(t, c, "fe", 0, 3, 10)

	for _, off := range []int64{4, 1000, -5} {
		sp := fetchOnce(t, c, 12, "fe", [16]byte{}, 0, off, 1<<20, 1<<20)
		errCode(t, fmt.Sprintf("offset %d", off), sp.ErrorCode, kerr.OffsetOutOfRange)
		if sp.HighWatermark != 3 || sp.LogStartOffset != 0 || len(sp.RecordBatches) != 0 {
			t.Fatalf("offset %d: hw %d, log start %d, %d bytes", off, sp.HighWatermark, sp.LogStartOffset, len(sp.RecordBatches))
		}
	}
	// Offset equal to the high watermark is not out of range: it is the next record to come.
	sp := fetchOnce(t, c, 12, "fe", [16]byte{}, 0, 3, 1<<20, 1<<20)
	errCode(t, "offset at high watermark", sp.ErrorCode, nil)

	errCode(t, "unknown topic", fetchOnce(t, c, 12, "nope", [16]byte{}, 0, 0, 1<<20, 1<<20).ErrorCode, kerr.UnknownTopicOrPartition)
	errCode(t, "unknown partition", fetchOnce(t, c, 12, "fe", [16]byte{}, 7, 0, 1<<20, 1<<20).ErrorCode, kerr.UnknownTopicOrPartition)
	errCode(t, "negative partition", fetchOnce(t, c, 12, "fe", [16]byte{}, -1, 0, 1<<20, 1<<20).ErrorCode, kerr.UnknownTopicOrPartition)

	// v13+: by topic id.
	cl := b.Client()
	id := topicID(t, cl, "fe")
	for _, v := range []int16{13, 17} {
		req := kmsg.NewPtrFetchRequest()
		req.ReplicaID = -1
		req.MaxBytes = 1 << 20
		req.SessionEpoch = -1
		rt := kmsg.NewFetchRequestTopic()
		rt.TopicID = id
		rp := kmsg.NewFetchRequestTopicPartition()
		rp.PartitionMaxBytes = 1 << 20
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)
		resp := c.roundTrip(req, v).(*kmsg.FetchResponse)
		if resp.Topics[0].TopicID != id {
			t.Fatalf("v%d: response topic id %x, want %x", v, resp.Topics[0].TopicID, id)
		}
		sp := resp.Topics[0].Partitions[0]
		errCode(t, fmt.Sprintf("v%d by id", v), sp.ErrorCode, nil)
		if _, recs := batchCount(t, sp.RecordBatches); recs != 3 {
			t.Fatalf("v%d by id: %d records, want 3", v, recs)
		}
		unknown := id
		unknown[0]++
		errCode(t, fmt.Sprintf("v%d unknown id", v), fetchOnce(t, c, v, "", unknown, 0, 0, 1<<20, 1<<20).ErrorCode, kerr.UnknownTopicID)
	}
}

// Clients negotiating an older Fetch (names, not ids: Kafka 2.8 caps Fetch at v12) consume the
// same records as current ones.
func TestFetchOlderClientVersions(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t, enginetest.Topics(1, "old"))
	produceSync(t, b.Client(kgo.DefaultProduceTopic("old")), &kgo.Record{Value: []byte("x")}, &kgo.Record{Value: []byte("y")})
	for _, vs := range []*kversion.Versions{kversion.V2_1_0(), kversion.V2_8_0(), kversion.V3_7_0()} {
		got := consume(t, b, "old", 2, kgo.MaxVersions(vs))
		if string(got[0].Value) != "x" || string(got[1].Value) != "y" {
			t.Fatalf("%s: got %q, %q", vs.VersionGuess(), got[0].Value, got[1].Value)
		}
	}
}
