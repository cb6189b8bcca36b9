package txn

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/streamlite/streamlite/engine/cluster"
	"github.com/streamlite/streamlite/engine/group"
	"github.com/streamlite/streamlite/engine/log"
	"github.com/streamlite/streamlite/engine/meta"
	"github.com/twmb/franz-go/pkg/kbin"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// testTimeout bounds every wait; it guards against hangs and asserts nothing about speed.
const testTimeout = 30 * time.Second

// fixture is a coordinator over a real cluster (in memory, or in a temp data dir with a real
// metadata log and a FlushSync flusher, so restart reopens everything as a process restart
// would) and a real group coordinator.
type fixture struct {
	t      *testing.T
	dir    string // "" in memory
	cfg    Config
	meta   *meta.Log
	fl     *log.Flusher
	cl     *cluster.Cluster
	groups *group.Coordinator
	c      *Coordinator
}

func newFixture(t *testing.T, durable bool, cfg Config) *fixture {
	t.Helper()
	f := &fixture{t: t, cfg: cfg}
	if durable {
		f.dir = t.TempDir()
	}
	f.open()
	t.Cleanup(f.close)
	return f
}

func (f *fixture) open() {
	f.t.Helper()
	discard := slog.New(slog.DiscardHandler)
	var err error
	if f.dir == "" {
		f.meta = meta.OpenMemory()
	} else {
		if f.meta, err = meta.Open(filepath.Join(f.dir, "meta"), discard); err != nil {
			f.t.Fatal(err)
		}
		f.fl = log.NewFlusher(log.FlushSync, 0, discard)
	}
	if f.cl, err = cluster.Open(cluster.Options{DataDir: f.dir, Meta: f.meta, Flusher: f.fl}); err != nil {
		f.t.Fatal(err)
	}
	if f.groups, err = group.New(group.Config{Cluster: f.cl}); err != nil {
		f.t.Fatal(err)
	}
	f.newCoordinator()
}

func (f *fixture) newCoordinator() {
	f.t.Helper()
	cfg := f.cfg
	cfg.Cluster, cfg.Groups = f.cl, f.groups
	var err error
	if f.c, err = New(cfg); err != nil {
		f.t.Fatal(err)
	}
}

// close closes everything in the broker's order. Errors of partitions a test closed itself
// are expected and ignored.
func (f *fixture) close() {
	if f.c == nil {
		return
	}
	f.c.Close()
	f.groups.Close()
	f.cl.Close()
	if f.fl != nil {
		f.fl.Close()
	}
	f.meta.Close()
	f.c = nil
}

// restart closes and reopens everything on the same data dir.
func (f *fixture) restart() {
	f.t.Helper()
	if f.dir == "" {
		f.t.Fatal("restart needs a durable fixture")
	}
	f.close()
	f.open()
}

// restartCoordinator closes the coordinator and replays a new one from the same cluster.
func (f *fixture) restartCoordinator() {
	f.t.Helper()
	f.c.Close()
	f.newCoordinator()
}

// run runs the coordinator's Run loop until the test ends.
func (f *fixture) run() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	c := f.c
	go func() { defer close(done); c.Run(ctx) }()
	f.t.Cleanup(func() { cancel(); <-done })
}

func (f *fixture) createTopic(name string, partitions int32) {
	f.t.Helper()
	if _, err := f.cl.CreateTopic(cluster.CreateSpec{Name: name, Partitions: partitions, ReplicationFactor: -1}, false); err != nil {
		f.t.Fatal(err)
	}
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// wantCode fails the test unless code is want (nil: no error).
func wantCode(t testing.TB, what string, code int16, want *kerr.Error) {
	t.Helper()
	var w int16
	if want != nil {
		w = want.Code
	}
	if code != w {
		t.Fatalf("%s: error %v, want %v", what, kerr.ErrorForCode(code), want)
	}
}

// wantErr fails the test unless err is the Kafka error want.
func wantErr(t testing.TB, what string, err error, want *kerr.Error) {
	t.Helper()
	if err != want {
		t.Fatalf("%s: error %v, want %v", what, err, want)
	}
}

func initReq(v int16, id string, timeoutMs int32, pid int64, epoch int16) *kmsg.InitProducerIDRequest {
	req := kmsg.NewPtrInitProducerIDRequest()
	req.Version = v
	req.TransactionalID = &id
	req.TransactionTimeoutMillis = timeoutMs
	req.ProducerID, req.ProducerEpoch = pid, epoch
	return req
}

// init initializes id (InitProducerID v4 without a KIP-360 id) and fails on an error.
func (f *fixture) init(id string, timeoutMs int32) (int64, int16) {
	f.t.Helper()
	r := f.c.InitProducerID(testCtx(f.t), initReq(4, id, timeoutMs, -1, -1))
	wantCode(f.t, "InitProducerID "+id, r.ErrorCode, nil)
	return r.ProducerID, r.ProducerEpoch
}

type tp = topicPartition

// addParts sends AddPartitionsToTxn at version v and returns each partition's code.
func (f *fixture) addParts(v int16, id string, pid int64, epoch int16, tps ...tp) map[tp]int16 {
	f.t.Helper()
	req := kmsg.NewPtrAddPartitionsToTxnRequest()
	req.Version = v
	req.TransactionalID, req.ProducerID, req.ProducerEpoch = id, pid, epoch
	for _, x := range tps {
		if n := len(req.Topics); n == 0 || req.Topics[n-1].Topic != x.topic {
			req.Topics = append(req.Topics, kmsg.AddPartitionsToTxnRequestTopic{Topic: x.topic})
		}
		last := &req.Topics[len(req.Topics)-1]
		last.Partitions = append(last.Partitions, x.partition)
	}
	resp := f.c.AddPartitionsToTxn(testCtx(f.t), req)
	out := make(map[tp]int16)
	n := 0
	for _, rt := range resp.Topics {
		for _, rp := range rt.Partitions {
			out[tp{rt.Topic, rp.Partition}] = rp.ErrorCode
			n++
		}
	}
	if n != len(tps) {
		f.t.Fatalf("AddPartitionsToTxn answered %d partitions of %d", n, len(tps))
	}
	return out
}

// add adds tps (v3) and fails unless every partition is answered with want.
func (f *fixture) add(id string, pid int64, epoch int16, want *kerr.Error, tps ...tp) {
	f.t.Helper()
	for x, code := range f.addParts(3, id, pid, epoch, tps...) {
		wantCode(f.t, fmt.Sprintf("AddPartitionsToTxn %s %s/%d", id, x.topic, x.partition), code, want)
	}
}

func (f *fixture) addOffsets(v int16, id string, pid int64, epoch int16, grp string) int16 {
	f.t.Helper()
	req := kmsg.NewPtrAddOffsetsToTxnRequest()
	req.Version = v
	req.TransactionalID, req.ProducerID, req.ProducerEpoch, req.Group = id, pid, epoch, grp
	return f.c.AddOffsetsToTxn(testCtx(f.t), req).ErrorCode
}

func (f *fixture) end(v int16, id string, pid int64, epoch int16, commit bool) int16 {
	f.t.Helper()
	req := kmsg.NewPtrEndTxnRequest()
	req.Version = v
	req.TransactionalID, req.ProducerID, req.ProducerEpoch, req.Commit = id, pid, epoch, commit
	return f.c.EndTxn(testCtx(f.t), req).ErrorCode
}

func (f *fixture) describe(id string) kmsg.DescribeTransactionsResponseTransactionState {
	f.t.Helper()
	req := kmsg.NewPtrDescribeTransactionsRequest()
	req.TransactionalIDs = []string{id}
	resp := f.c.DescribeTransactions(req)
	if len(resp.TransactionStates) != 1 {
		f.t.Fatalf("DescribeTransactions: %d states", len(resp.TransactionStates))
	}
	return resp.TransactionStates[0]
}

// wantState fails unless id is described in state with producer id and epoch.
func (f *fixture) wantState(id, state string, pid int64, epoch int16) kmsg.DescribeTransactionsResponseTransactionState {
	f.t.Helper()
	st := f.describe(id)
	wantCode(f.t, "DescribeTransactions "+id, st.ErrorCode, nil)
	if st.State != state || st.ProducerID != pid || st.ProducerEpoch != epoch {
		f.t.Fatalf("%s: state %s pid %d epoch %d, want %s pid %d epoch %d", id, st.State, st.ProducerID, st.ProducerEpoch, state, pid, epoch)
	}
	return st
}

// txnBatch builds a transactional record batch of pid/epoch starting at sequence seq.
func txnBatch(pid int64, epoch int16, seq int32, values ...string) []byte {
	var body []byte
	for i, v := range values {
		rec := kmsg.Record{OffsetDelta: int32(i), Value: []byte(v)}
		enc := rec.AppendTo(nil)
		body = kbin.AppendVarint(body, int32(len(enc)-1))
		body = append(body, enc[1:]...)
	}
	now := time.Now().UnixMilli()
	b := kmsg.RecordBatch{
		Magic:           2,
		Attributes:      0x10,
		LastOffsetDelta: int32(len(values) - 1),
		FirstTimestamp:  now,
		MaxTimestamp:    now,
		ProducerID:      pid,
		ProducerEpoch:   epoch,
		FirstSequence:   seq,
		NumRecords:      int32(len(values)),
		Records:         body,
	}
	out := b.AppendTo(nil)
	binary.BigEndian.PutUint32(out[8:], uint32(len(out)-12))
	binary.BigEndian.PutUint32(out[17:], crc32.Checksum(out[21:], crc32c))
	return out
}

// produce appends a transactional batch as the Produce handler does (BeginWrite, Append,
// release) and waits until it is durable; it returns the batch's base offset.
func (f *fixture) produce(id string, pid int64, epoch int16, seq int32, x tp, values ...string) int64 {
	f.t.Helper()
	release, err := f.c.BeginWrite(id, pid, epoch, x.topic, x.partition)
	if err != nil {
		f.t.Fatalf("BeginWrite %s/%d: %v", x.topic, x.partition, err)
	}
	lp := f.cl.Topic(x.topic).Partition(x.partition)
	res, err := lp.Append(txnBatch(pid, epoch, seq, values...), time.Now())
	release()
	if err != nil {
		f.t.Fatalf("append to %s/%d: %v", x.topic, x.partition, err)
	}
	if err := durable(lp, res.LastOffset); err != nil {
		f.t.Fatal(err)
	}
	return res.BaseOffset
}

// marker is a marker found in a partition, with its offset.
type marker struct {
	log.Marker
	offset int64
}

// markers reads every batch of a partition and returns its transaction markers.
func (f *fixture) markers(x tp) []marker {
	f.t.Helper()
	lp := f.cl.Topic(x.topic).Partition(x.partition)
	var out []marker
	for off := lp.LogStartOffset(); off < lp.HighWatermark(); {
		buf, err := lp.Read(off, 1<<20, true, nil)
		if err != nil {
			f.t.Fatalf("read %s/%d at %d: %v", x.topic, x.partition, off, err)
		}
		next := log.WalkBatches(buf, func(batch []byte) {
			if m, ok := log.ParseMarker(batch); ok {
				out = append(out, marker{m, int64(binary.BigEndian.Uint64(batch))})
			}
		})
		if next <= off {
			f.t.Fatalf("read %s/%d at %d: no whole batch", x.topic, x.partition, off)
		}
		off = next
	}
	return out
}

// wantMarkers fails unless the markers of x are exactly want (offsets not compared).
func (f *fixture) wantMarkers(x tp, want ...log.Marker) []marker {
	f.t.Helper()
	got := f.markers(x)
	if len(got) != len(want) {
		f.t.Fatalf("%s/%d: %d markers %+v, want %+v", x.topic, x.partition, len(got), got, want)
	}
	for i := range want {
		if got[i].Marker != want[i] {
			f.t.Fatalf("%s/%d: marker %d is %+v, want %+v", x.topic, x.partition, i, got[i].Marker, want[i])
		}
	}
	return got
}

// stateEnd returns the log end offsets of every __transaction_state partition, to show a
// refused request wrote nothing.
func (f *fixture) stateEnd() []int64 {
	t := f.cl.Topic(StateTopic)
	if t == nil {
		return nil
	}
	var out []int64
	for _, p := range t.Partitions() {
		out = append(out, p.LogEndOffset())
	}
	return out
}

// waitFor polls cond until it holds or the test times out.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
