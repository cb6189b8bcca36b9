package kafka

import (
	"sync/atomic"
	"time"

	"github.com/streamlite/streamlite/engine/cluster"
	"github.com/streamlite/streamlite/engine/group"
	"github.com/streamlite/streamlite/engine/log"
	"github.com/streamlite/streamlite/engine/txn"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Produce: versions 3-12.
//
// v3 record batch v2 only (one batch per partition); v7 zstd; v8 per-record errors and an
// error message; v9 flexible. A request with a transactional id may carry transactional batches:
// each partition must have been added to the producer's ongoing transaction (AddPartitionsToTxn)
// with the producer id and epoch of the batch, else INVALID_TXN_STATE,
// INVALID_PRODUCER_ID_MAPPING or INVALID_PRODUCER_EPOCH, as Kafka's partition verification
// (KIP-890 part 1) answers; a transactional batch without a transactional id is
// TRANSACTIONAL_ID_AUTHORIZATION_FAILED. acks=0 gets no response, acks=1 is answered once the batch is
// written to the segment file, acks=all (-1) once the flusher has fsynced it (group commit;
// see engine/log). The batch bytes are written as they came, with only the base offset and
// leader epoch filled in, whatever their codec. min.insync.replicas above 1 cannot be met by a
// single node, so acks=all to such a topic is answered NOT_ENOUGH_REPLICAS as Kafka would.
//
// A topic whose configs ask for schema checks (schema.ProduceRules: confluent.*.schema.validation
// or redpanda.*.schema.id.validation, streamlite.schema.validation.mode) has every record's key
// and/or value checked before the append (schema_check.go). A batch with a failing record is
// answered INVALID_RECORD with record_errors (v8+) naming each failing record and why, and none
// of it is appended; with streamlite.schema.validation.dead.letter.topic set, the failing records
// move to that topic instead and the rest are appended with gaps at the moved ones' offsets.

func (s *Server) handleProduce(r *request, req *kmsg.ProduceRequest) *reply {
	resp := req.ResponseKind().(*kmsg.ProduceResponse)
	if req.TransactionID != nil && s.cfg.Txn == nil {
		return s.produceReply(req, produceErrorAll(req, resp, kerr.TransactionalIDAuthorizationFailed.Code), nil)
	}
	switch req.Acks {
	case 0, 1, -1:
	default:
		return s.produceReply(req, produceErrorAll(req, resp, kerr.InvalidRequiredAcks.Code), nil)
	}

	now := time.Now()
	type waitFor struct {
		p    *log.Partition
		last int64
		ti   int
		pi   int
	}
	var waits []waitFor
	resp.Topics = make([]kmsg.ProduceResponseTopic, len(req.Topics))
	for ti, rt := range req.Topics {
		st := &resp.Topics[ti]
		*st = kmsg.NewProduceResponseTopic()
		st.Topic = rt.Topic
		st.Partitions = make([]kmsg.ProduceResponseTopicPartition, len(rt.Partitions))
		t := s.c.Topic(rt.Topic)
		for pi, rp := range rt.Partitions {
			sp := &st.Partitions[pi]
			*sp = kmsg.NewProduceResponseTopicPartition()
			sp.Partition = rp.Partition
			var p *log.Partition
			if t != nil {
				p = t.Partition(rp.Partition)
			}
			if p == nil {
				sp.ErrorCode = unknownTopic
				continue
			}
			if t.Name == group.OffsetsTopic || t.Name == txn.StateTopic || t.Name == cluster.MetadataTopic {
				// Kafka: "Cannot append to internal topic"; only the coordinators write them.
				sp.ErrorCode = kerr.InvalidTopicException.Code
				msg := "cannot append to internal topic " + t.Name
				sp.ErrorMessage = &msg
				continue
			}
			if req.Acks == -1 && t.MinInsyncReplicas() > 1 {
				sp.ErrorCode = kerr.NotEnoughReplicas.Code
				msg := "min.insync.replicas is above 1 and streamlite is a single node"
				sp.ErrorMessage = &msg
				continue
			}
			if err := validateBatch(rp.Records, t.MaxMessageBytes(), req.Version, req.TransactionID != nil); err != nil {
				sp.ErrorCode = errorCode(err)
				sp.ErrorMessage = errorMessage(err)
				continue
			}
			if p.Compacted() {
				if null, err := log.HasNullKey(rp.Records); err != nil || null {
					sp.ErrorCode = kerr.InvalidRecord.Code
					msg := "compacted topic cannot accept message without key"
					if err != nil {
						msg = err.Error()
					}
					sp.ErrorMessage = &msg
					continue
				}
			}
			records := rp.Records
			var failed *schemaFailure
			rules := t.SchemaRules()
			if rules.Enabled() {
				f, err := s.checkSchemas(t.Name, rules, records)
				if err != nil {
					sp.ErrorCode = errorCode(err)
					sp.ErrorMessage = errorMessage(err)
					continue
				}
				if f != nil && !divertable(t.Name, rules, records) {
					msg := f.message(t.Name)
					s.logRefusal(t.Name, rp.Partition, f, "")
					sp.ErrorCode = kerr.InvalidRecord.Code
					sp.ErrorMessage = &msg
					sp.ErrorRecords = f.recordErrors()
					continue
				}
				if f != nil {
					// The failing records go to the dead-letter topic; the rest are
					// appended here, their offsets kept, the failing ones' left as gaps.
					if records, err = log.DropRecords(records, f.failed); err != nil {
						sp.ErrorCode = errorCode(err)
						sp.ErrorMessage = errorMessage(err)
						continue
					}
					failed = f
					s.logRefusal(t.Name, rp.Partition, f, rules.DeadLetterTopic)
				}
			}
			var release func()
			if transactional(rp.Records) {
				// The partition must be in the producer's ongoing transaction, and the
				// transaction cannot end until this append is in the log (engine/txn).
				pid, epoch := batchProducer(rp.Records)
				var err error
				if release, err = s.cfg.Txn.BeginWrite(*req.TransactionID, pid, epoch, t.Name, rp.Partition); err != nil {
					sp.ErrorCode = errorCode(err)
					sp.ErrorMessage = errorMessage(err)
					continue
				}
			}
			res, err := p.Append(records, now)
			if release != nil {
				release()
			}
			if err != nil {
				sp.ErrorCode = errorCode(err)
				sp.ErrorMessage = errorMessage(err)
				continue
			}
			if failed != nil && !res.Duplicate {
				dp, dlast, err := s.deadLetter(t.Name, rp.Partition, res.BaseOffset, rp.Records, failed, rules.DeadLetterTopic, now)
				if err != nil {
					// The kept records are in the log; the failing ones are not
					// anywhere, so the producer must hear of it.
					s.logger.Error("cannot write to the dead-letter topic", "topic", t.Name, "dlq", rules.DeadLetterTopic, "err", err)
					sp.ErrorCode = kerr.KafkaStorageError.Code
					sp.ErrorMessage = errorMessage(err)
					continue
				}
				if req.Acks == -1 {
					waits = append(waits, waitFor{dp, dlast, ti, pi})
				}
			}
			if !res.Duplicate {
				s.obs.Produced(t.Name, len(rp.Records))
			}
			sp.BaseOffset = res.BaseOffset
			sp.LogAppendTime = res.LogAppendTime
			sp.LogStartOffset = res.LogStartOffset
			// A duplicate waits too: its original may be written but not yet fsynced.
			if req.Acks == -1 {
				waits = append(waits, waitFor{p, res.LastOffset, ti, pi})
			}
		}
	}
	if len(waits) == 0 {
		return s.produceReply(req, resp, nil)
	}
	ready := make(chan struct{})
	var left atomic.Int32
	left.Store(int32(len(waits)))
	for _, w := range waits {
		sp := &resp.Topics[w.ti].Partitions[w.pi]
		w.p.Durable(w.last, func(err error) {
			if err != nil {
				sp.ErrorCode = kerr.KafkaStorageError.Code
				sp.ErrorMessage = errorMessage(err)
				sp.BaseOffset = -1
			}
			if left.Add(-1) == 0 {
				close(ready)
			}
		})
	}
	return s.produceReply(req, resp, ready)
}

// produceErrorAll answers every partition of req with code.
func produceErrorAll(req *kmsg.ProduceRequest, resp *kmsg.ProduceResponse, code int16) *kmsg.ProduceResponse {
	for _, rt := range req.Topics {
		st := kmsg.NewProduceResponseTopic()
		st.Topic = rt.Topic
		for _, rp := range rt.Partitions {
			sp := kmsg.NewProduceResponseTopicPartition()
			sp.Partition = rp.Partition
			sp.ErrorCode = code
			st.Partitions = append(st.Partitions, sp)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return resp
}

func (s *Server) produceReply(req *kmsg.ProduceRequest, resp *kmsg.ProduceResponse, ready chan struct{}) *reply {
	if req.Acks == 0 {
		return &reply{skip: true}
	}
	rep := &reply{resp: resp}
	if ready != nil {
		rep.ready = ready
	}
	return rep
}
