package kafka

import (
	"context"
	"errors"
	"time"

	"github.com/streamlite/streamlite/engine/cluster"
	"github.com/streamlite/streamlite/engine/log"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Fetch: versions 4-17.
//
// v4 record batch v2, last stable offset and aborted transactions: a read_committed fetch
// (IsolationLevel 1) reads only below the last stable offset and gets the aborted transactions
// whose records overlap what it read, so the client can drop them; v5 log start offset; v7 fetch sessions (KIP-227): the broker always answers session id 0, which
// tells clients to keep sending full fetches; v11 rack-aware preferred replica (always -1);
// v12 flexible; v13 topic ids instead of names. A fetch that finds fewer than MinBytes parks
// on the partitions it asked for until one of them gets new data or MaxWait runs out; nothing
// polls. Batches are copied whole from the segment into the response, never decoded. The
// first partition with data gets at least one whole batch even above the byte limits (KIP-74).

type fetchPart struct {
	p     *log.Partition
	topic string // for the Observer
	ti    int
	pi    int
	off   int64
	max   int32
	code  int16
}

func (s *Server) handleFetch(r *request, req *kmsg.FetchRequest) *reply {
	var parts []fetchPart
	resp := req.ResponseKind().(*kmsg.FetchResponse)
	resp.Topics = make([]kmsg.FetchResponseTopic, len(req.Topics))
	for ti, rt := range req.Topics {
		var t *cluster.Topic
		code := int16(0)
		if req.Version >= 13 {
			t = s.c.TopicByID(rt.TopicID)
			if t == nil {
				code = unknownTopicID
			}
		} else {
			t = s.c.Topic(rt.Topic)
			if t == nil {
				code = unknownTopic
			}
		}
		st := &resp.Topics[ti]
		*st = kmsg.NewFetchResponseTopic()
		st.Topic = rt.Topic
		st.TopicID = rt.TopicID
		st.Partitions = make([]kmsg.FetchResponseTopicPartition, len(rt.Partitions))
		for pi, rp := range rt.Partitions {
			fp := fetchPart{ti: ti, pi: pi, off: rp.FetchOffset, max: rp.PartitionMaxBytes, code: code}
			if t != nil {
				fp.topic = t.Name
				fp.p = t.Partition(rp.Partition)
				if fp.p == nil {
					fp.code = unknownTopic
				}
			}
			sp := &st.Partitions[pi]
			*sp = kmsg.NewFetchResponseTopicPartition()
			sp.Partition = rp.Partition
			parts = append(parts, fp)
		}
	}

	var deadline time.Time
	if req.MaxWaitMillis > 0 {
		deadline = time.Now().Add(time.Duration(req.MaxWaitMillis) * time.Millisecond)
	}
	wake := make(chan struct{}, 1)
	var bufs []*[]byte
	release := func() {
		for _, b := range bufs {
			s.bufs.put(b)
		}
		bufs = bufs[:0]
	}
	for {
		total, anyErr := s.fillFetch(r.ctx, req, resp, parts, &bufs)
		if total >= int(req.MinBytes) || anyErr || deadline.IsZero() || !time.Now().Before(deadline) {
			for _, fp := range parts {
				if n := len(resp.Topics[fp.ti].Partitions[fp.pi].RecordBatches); n > 0 {
					s.obs.Fetched(fp.topic, n)
				}
			}
			return &reply{resp: resp, release: release, sizeHint: total + 128*len(parts)}
		}
		// Park until a partition's high watermark moves, the wait runs out, or the
		// connection ends. Register first, then re-check, so no advance is missed.
		var cancels []func()
		for _, fp := range parts {
			if fp.p != nil {
				cancels = append(cancels, fp.p.Watch(wake))
			}
		}
		moved := false
		for _, fp := range parts {
			if fp.p != nil && readableEnd(req, fp.p) > fp.off {
				moved = true
				break
			}
		}
		if !moved {
			timer := time.NewTimer(time.Until(deadline))
			select {
			case <-wake:
			case <-timer.C:
			case <-r.ctx.Done():
			}
			timer.Stop()
		}
		for _, c := range cancels {
			c()
		}
		select {
		case <-wake:
		default:
		}
		release()
		if r.ctx.Err() != nil {
			// The connection is going away. resp still points into the buffers just
			// released to the pool (which another connection may be filling), so write
			// nothing rather than a response built on them.
			return &reply{skip: true}
		}
	}
}

// fillFetch reads every partition into resp, returning the bytes read and whether any
// partition has an error (which answers the fetch at once).
func (s *Server) fillFetch(ctx context.Context, req *kmsg.FetchRequest, resp *kmsg.FetchResponse, parts []fetchPart, bufs *[]*[]byte) (int, bool) {
	total, anyErr := 0, false
	for _, fp := range parts {
		sp := &resp.Topics[fp.ti].Partitions[fp.pi]
		sp.RecordBatches = []byte{} // librdkafka refuses a null record set
		sp.ErrorCode = fp.code
		if fp.code != 0 {
			anyErr = true
			continue
		}
		hw := fp.p.HighWatermark()
		lso := fp.p.LastStableOffset()
		sp.HighWatermark = hw
		sp.LastStableOffset = lso
		sp.LogStartOffset = fp.p.LogStartOffset()
		end := hw
		if req.IsolationLevel == 1 {
			end = lso
		}
		sp.PreferredReadReplica = -1
		left := int(req.MaxBytes) - total
		if req.MaxBytes <= 0 {
			left = int(^uint32(0) >> 1)
		}
		max := min(int(fp.max), left)
		minOne := total == 0
		if (fp.off >= end && fp.off <= hw) || (max <= 0 && !minOne) {
			continue
		}
		b := s.bufs.get(min(max, 1<<20))
		var data []byte
		var err error
		if fp.p.InRemote(fp.off) {
			// Below the local log start: the remote tier serves it (closed segments
			// only, all below the last stable offset).
			data, err = fp.p.ReadRemote(ctx, fp.off, max, minOne, (*b)[:0])
		} else {
			data, err = fp.p.ReadTo(fp.off, end, max, minOne, (*b)[:0])
		}
		*b = data
		*bufs = append(*bufs, b)
		if err != nil {
			sp.ErrorCode = errorCode(err)
			if errors.Is(err, log.ErrOffsetOutOfRange) {
				sp.LogStartOffset = fp.p.LogStartOffset()
				sp.HighWatermark = fp.p.HighWatermark()
				sp.LastStableOffset = fp.p.LastStableOffset()
			}
			anyErr = true
			continue
		}
		if len(data) > 0 {
			sp.RecordBatches = data
			total += len(data)
			if req.IsolationLevel == 1 {
				for _, a := range fp.p.AbortedTxns(fp.off, log.NextOffset(data), nil) {
					sp.AbortedTransactions = append(sp.AbortedTransactions, kmsg.FetchResponseTopicPartitionAbortedTransaction{
						ProducerID: a.ProducerID, FirstOffset: a.FirstOffset,
					})
				}
			}
		}
	}
	return total, anyErr
}

// readableEnd is where a fetch of p stops: the high watermark, or for read_committed the last
// stable offset.
func readableEnd(req *kmsg.FetchRequest, p *log.Partition) int64 {
	if req.IsolationLevel == 1 {
		return p.LastStableOffset()
	}
	return p.HighWatermark()
}
