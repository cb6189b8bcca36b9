package kafka_test

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/streamlite/streamlite/engine/enginetest"
	"github.com/streamlite/streamlite/engine/kafka"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Produce validation, as Kafka's LogValidator and ReplicaManager answer it: each bad record
// set gets its partition's error code, writes nothing, and leaves the connection usable.
func TestProduceValidation(t *testing.T) {
	t.Parallel()
	for _, durable := range []bool{false, true} {
		opts := []enginetest.Option{enginetest.TopicWithConfigs("v", 2, map[string]string{"max.message.bytes": "300"})}
		if durable {
			opts = append(opts, enginetest.Durable())
		}
		b := enginetest.New(t, opts...)
		c := dialRaw(t, b.Addr())
		good := func() []byte { return kafka.MakeBatch(t, 0, 1000, "good") }
		// acks=all: answered once durable, when the high watermark covers it.
		sp := c.produceRaw("v", 0, -1, good())
		errCode(t, "first good batch", sp.ErrorCode, nil)

		cases := []struct {
			name  string
			batch func() []byte
			want  *kerr.Error
		}{
			{"bad CRC", func() []byte { bb := good(); bb[len(bb)-3] ^= 0xff; return bb }, kerr.CorruptMessage},
			{"bad CRC field", func() []byte { bb := good(); bb[17] ^= 1; return bb }, kerr.CorruptMessage},
			{"magic 1", func() []byte { bb := good(); bb[16] = 1; return kafka.ResealBatch(bb) }, kerr.InvalidRecord},
			{"magic 0", func() []byte { bb := good(); bb[16] = 0; return bb }, kerr.InvalidRecord},
			{"larger than max.message.bytes", func() []byte { return kafka.MakeBatch(t, 0, 1000, string(make([]byte, 400))) }, kerr.MessageTooLarge},
			{"two batches in one partition", func() []byte { return append(good(), good()...) }, kerr.InvalidRecord},
			{"truncated tail", func() []byte { bb := good(); return bb[:len(bb)-5] }, kerr.CorruptMessage},
			{"truncated header", func() []byte { return good()[:30] }, kerr.CorruptMessage},
			{"empty record set", func() []byte { return []byte{} }, kerr.CorruptMessage},
			{"null record set", func() []byte { return nil }, kerr.CorruptMessage},
			{"length field too large", func() []byte {
				bb := good()
				binary.BigEndian.PutUint32(bb[8:], uint32(len(bb)))
				return bb
			}, kerr.CorruptMessage},
			{"negative length field", func() []byte {
				bb := good()
				binary.BigEndian.PutUint32(bb[8:], 0xffffff00)
				return bb
			}, kerr.CorruptMessage},
			{"record count disagrees with last offset delta", func() []byte {
				bb := kafka.MakeBatch(t, 0, 1000, "a", "b")
				binary.BigEndian.PutUint32(bb[57:], 3)
				return kafka.ResealBatch(bb)
			}, kerr.InvalidRecord},
			{"control batch", func() []byte {
				bb := good()
				bb[22] |= 0x20
				return kafka.ResealBatch(bb)
			}, kerr.InvalidRecord},
			{"transactional batch without a transactional id", func() []byte {
				bb := good()
				bb[22] |= 0x10
				return kafka.ResealBatch(bb)
			}, kerr.TransactionalIDAuthorizationFailed}, // as Kafka's KafkaApis answers it
			{"unknown codec", func() []byte {
				bb := good()
				bb[22] |= 0x7
				return kafka.ResealBatch(bb)
			}, kerr.CorruptMessage},
			{"records do not fill the batch", func() []byte {
				bb := append(good(), 0, 0, 0)
				return kafka.ResealBatch(bb)
			}, kerr.CorruptMessage},
		}
		for _, tc := range cases {
			sp := c.produceRaw("v", 0, 1, tc.batch())
			errCode(t, tc.name, sp.ErrorCode, tc.want)
			if sp.ErrorMessage == nil || *sp.ErrorMessage == "" {
				t.Errorf("%s: no error message (Produce v8+ carries one)", tc.name)
			}
			if lo := listOffset(t, c, "v", 0, -1); lo.Offset != 1 {
				t.Fatalf("%s: log end offset %+v after a refused batch (%+v), want 1", tc.name, lo, sp)
			}
		}

		// Acks other than 0, 1 and -1 are INVALID_REQUIRED_ACKS, whatever the batch.
		errCode(t, "acks=2", c.produceRaw("v", 0, 2, good()).ErrorCode, kerr.InvalidRequiredAcks)
		errCode(t, "acks=-2", c.produceRaw("v", 0, -2, good()).ErrorCode, kerr.InvalidRequiredAcks)
		// Unknown topics and partitions.
		errCode(t, "unknown partition", c.produceRaw("v", 9, 1, good()).ErrorCode, kerr.UnknownTopicOrPartition)
		errCode(t, "unknown topic", c.produceRaw("nope", 0, 1, good()).ErrorCode, kerr.UnknownTopicOrPartition)
		// zstd needs Produce v7 (KIP-110).
		req := kmsg.NewPtrProduceRequest()
		req.Acks = 1
		req.TimeoutMillis = 1000
		rt := kmsg.NewProduceRequestTopic()
		rt.Topic = "v"
		rp := kmsg.NewProduceRequestTopicPartition()
		rp.Records = kafka.MakeBatch(t, 4, 1000, "z")
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)
		resp := c.roundTrip(req, 6).(*kmsg.ProduceResponse)
		errCode(t, "zstd on v6", resp.Topics[0].Partitions[0].ErrorCode, kerr.UnsupportedCompressionType)

		// One request, one good and one bad partition: only the good one is written.
		req = kmsg.NewPtrProduceRequest()
		req.Acks = -1
		req.TimeoutMillis = 10000
		rt = kmsg.NewProduceRequestTopic()
		rt.Topic = "v"
		bad := good()
		bad[len(bad)-1] ^= 1
		for p, recs := range [][]byte{bad, good()} {
			rp := kmsg.NewProduceRequestTopicPartition()
			rp.Partition = int32(p)
			rp.Records = recs
			rt.Partitions = append(rt.Partitions, rp)
		}
		req.Topics = append(req.Topics, rt)
		resp = c.roundTrip(req, 9).(*kmsg.ProduceResponse)
		errCode(t, "mixed: bad partition", resp.Topics[0].Partitions[0].ErrorCode, kerr.CorruptMessage)
		errCode(t, "mixed: good partition", resp.Topics[0].Partitions[1].ErrorCode, nil)

		// After all that the stored data is exactly the two good batches.
		for p := range int32(2) {
			fs := fetchOnce(t, c, 12, "v", [16]byte{}, p, 0, 1<<20, 1<<20)
			if n, recs := batchCount(t, fs.RecordBatches); n != 1 || recs != 1 || fs.HighWatermark != 1 {
				t.Fatalf("partition %d: %d batches, %d records, hw %d; want the one good batch", p, n, recs, fs.HighWatermark)
			}
		}
		errCode(t, "good batch after errors", c.produceRaw("v", 0, -1, good()).ErrorCode, nil)
		if got := consume(t, b, "v", 3); len(got) != 3 {
			t.Fatalf("consumed %d records", len(got))
		}
	}
}

// A topic with min.insync.replicas=2 cannot meet acks=all on one broker: Kafka answers
// NOT_ENOUGH_REPLICAS and writes nothing; acks=1 still works.
func TestProduceMinInsyncReplicas(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t, enginetest.TopicWithConfigs("isr", 1, map[string]string{"min.insync.replicas": "2"}))
	c := dialRaw(t, b.Addr())
	errCode(t, "acks=all", c.produceRaw("isr", 0, -1, kafka.MakeBatch(t, 0, 1, "x")).ErrorCode, kerr.NotEnoughReplicas)
	if lo := listOffset(t, c, "isr", 0, -1); lo.Offset != 0 {
		t.Fatalf("log end offset %d after NOT_ENOUGH_REPLICAS", lo.Offset)
	}
	errCode(t, "acks=1", c.produceRaw("isr", 0, 1, kafka.MakeBatch(t, 0, 1, "x")).ErrorCode, nil)
}

// Only the group coordinator writes __consumer_offsets; Kafka refuses client appends to an
// internal topic with INVALID_TOPIC_EXCEPTION ("Cannot append to internal topic").
func TestProduceToInternalTopicRefused(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t, enginetest.Topics(1, "t"))
	adm := b.Admin()
	if _, err := adm.CommitOffsets(testCtx(t), "g", kadm.Offsets{"t": {0: {Topic: "t", Partition: 0, At: 0}}}); err != nil {
		t.Fatalf("commit (creates the offsets topic): %v", err)
	}
	c := dialRaw(t, b.Addr())
	sp := c.produceRaw("__consumer_offsets", 0, -1, kafka.MakeBatch(t, 0, 1000, "forged"))
	errCode(t, "produce to __consumer_offsets", sp.ErrorCode, kerr.InvalidTopicException)
	offs, err := adm.FetchOffsets(testCtx(t), "g")
	if err != nil {
		t.Fatalf("fetch offsets: %v", err)
	}
	if o, ok := offs.Lookup("t", 0); !ok || o.At != 0 {
		t.Fatalf("committed offset after refused append = %+v, %v; want 0", o, ok)
	}
}

// Kafka refuses a record without a key on a compacted topic (INVALID_RECORD, "Compacted topic
// cannot accept message without key"), compressed or not, and writes nothing of the batch.
func TestCompactedTopicRefusesNullKeys(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t, enginetest.TopicWithConfigs("c", 1, map[string]string{"cleanup.policy": "compact"}))
	for _, codec := range []kgo.CompressionCodec{kgo.NoCompression(), kgo.ZstdCompression()} {
		cl := b.Client(kgo.ProducerBatchCompression(codec), kgo.RecordRetries(0))
		err := cl.ProduceSync(testCtx(t), &kgo.Record{Topic: "c", Value: []byte("no key")}).FirstErr()
		if !errors.Is(err, kerr.InvalidRecord) {
			t.Fatalf("null key on a compacted topic: %v, want INVALID_RECORD", err)
		}
		if err := cl.ProduceSync(testCtx(t), &kgo.Record{Topic: "c", Key: []byte("k"), Value: []byte("v")}).FirstErr(); err != nil {
			t.Fatalf("keyed record on a compacted topic: %v", err)
		}
	}
	if recs := consume(t, b, "c", 2); string(recs[0].Key) != "k" || string(recs[1].Key) != "k" {
		t.Fatalf("compacted topic holds %v, want only the two keyed records", recs)
	}
}
