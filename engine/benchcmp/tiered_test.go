package benchcmp

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamlite/streamlite/engine"
	"github.com/streamlite/streamlite/engine/cluster"
	"github.com/streamlite/streamlite/engine/loadgen"
	"github.com/streamlite/streamlite/tiered/objstore"
	"github.com/streamlite/streamlite/tiered/objstore/s3test"
)

const (
	// tierSegmentBytes is segment.bytes of both topics of the tiered read benchmark.
	tierSegmentBytes = 8 << 20
	// tierBatchSlack is how far past segment.bytes the active segment may grow: one produce
	// batch (loadgen's batch.size).
	tierBatchSlack = 1 << 20
	// tierWaitTimeout bounds the wait for uploads after producing, and for the remote tier
	// to be back after a restart.
	tierWaitTimeout = 5 * time.Minute
	// tieredTopic and localTopic are the benchmark's topics: the first tiered, keeping only
	// its active segment locally; the second the same data, all local.
	tieredTopic = "tier-remote"
	localTopic  = "tier-local"
)

// tierReads are the reads compared, in the order of the table; the last is the baseline.
var tierReads = []string{"remote, cold cache", "remote, warm cache", "local"}

// tierStore is an object store the benchmark runs on: it returns the RemoteStorage URL and
// options of a broker using it.
type tierStore struct {
	name string
	open func(t *testing.T) (string, objstore.OpenOptions)
}

// tierStores are the object stores benchmarked: file:// always, S3 (a versitygw on
// loopback, started by s3test) with STREAMLITE_BENCH_TIERED_S3=1.
func tierStores() []tierStore {
	stores := []tierStore{{"file", func(t *testing.T) (string, objstore.OpenOptions) {
		return "file://" + t.TempDir(), objstore.OpenOptions{}
	}}}
	if os.Getenv("STREAMLITE_BENCH_TIERED_S3") == "1" {
		stores = append(stores, tierStore{"s3", func(t *testing.T) (string, objstore.OpenOptions) {
			srv := s3test.Start(t)
			return "s3://" + srv.Bucket(t) + "/streamlite", objstore.OpenOptions{
				Endpoint: srv.Endpoint, Region: s3test.Region, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey,
			}
		}})
	}
	return stores
}

// tierBroker is a durable streamlite with tiered storage that the benchmark restarts on the
// same data directory and object store.
type tierBroker struct {
	cfg engine.Config
	b   *engine.Broker // nil while stopped
}

// start starts the broker; t.Cleanup stops it if the test ends first.
func (tb *tierBroker) start(t *testing.T) {
	t.Helper()
	settle()
	b, err := engine.Start(context.Background(), tb.cfg)
	if err != nil {
		t.Fatalf("starting streamlite: %v", err)
	}
	tb.b = b
}

// stop closes the broker if it runs.
func (tb *tierBroker) stop(t *testing.T) {
	t.Helper()
	if tb.b == nil {
		return
	}
	if err := tb.b.Close(); err != nil {
		t.Errorf("stopping streamlite: %v", err)
	}
	tb.b = nil
	settle()
}

func (tb *tierBroker) addrs() []string { return []string{tb.b.KafkaAddr()} }

// status is the tiered topic's partition 0 in TierStatus, ok false when not listed yet.
func (tb *tierBroker) status() (cluster.TierStatus, bool) {
	for _, st := range tb.b.TierStatus() {
		if st.Topic == tieredTopic && st.Partition == 0 {
			return st, true
		}
	}
	return cluster.TierStatus{}, false
}

// cacheBytes is the size of the remote read cache's chunk files (DataDir/remote-cache).
func (tb *tierBroker) cacheBytes(t *testing.T) int64 {
	t.Helper()
	var n int64
	err := filepath.WalkDir(filepath.Join(tb.cfg.DataDir, "remote-cache"), func(_ string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return nil // no cache dir yet, or a chunk evicted while walking
		}
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err == nil {
			n += fi.Size()
		}
		return err
	})
	if err != nil {
		t.Fatalf("sizing the remote read cache: %v", err)
	}
	return n
}

// createTopicWithConfigs creates a one-partition topic with configs and waits until the
// metadata shows it.
func createTopicWithConfigs(ctx context.Context, addrs []string, topic string, configs map[string]*string) error {
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(addrs...)}, clientOpts()...)...)
	if err != nil {
		return err
	}
	adm := kadm.NewClient(cl)
	resp, err := adm.CreateTopic(ctx, 1, -1, configs, topic)
	adm.Close()
	if err == nil {
		err = resp.Err
	}
	if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
		return fmt.Errorf("creating topic %s: %w", topic, err)
	}
	return createTopic(ctx, addrs, topic, 1) // exists now: waits for its metadata
}

// waitUploadedLocally waits until every closed segment of the tiered topic is in the remote
// tier and deleted locally, only the active segment left, and returns the status then.
func waitUploadedLocally(t *testing.T, tb *tierBroker, records int) cluster.TierStatus {
	t.Helper()
	deadline := time.Now().Add(tierWaitTimeout)
	for {
		st, ok := tb.status()
		if ok && st.UploadLag == 0 && st.LastError == "" && st.RemoteStart == 0 && st.RemoteEnd > 0 &&
			st.LocalBytes <= tierSegmentBytes+tierBatchSlack {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d records in: the closed segments were not all uploaded and deleted locally within %v: %+v (listed %v)",
				records, tierWaitTimeout, st, ok)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitRemoteAttached waits, after a restart, until the tiered topic's remote tier is open
// again and Kafka's ListOffsets shows log start offset 0, so that a consumer from the start
// reads the remote tier. It returns the log start offset listed before the first wait and
// how long the wait took.
func waitRemoteAttached(t *testing.T, tb *tierBroker) (int64, time.Duration) {
	t.Helper()
	ctx := context.Background()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(tb.addrs()...)}, clientOpts()...)...)
	if err != nil {
		t.Fatal(err)
	}
	adm := kadm.NewClient(cl)
	defer adm.Close()
	listStart := func() int64 {
		starts, err := adm.ListStartOffsets(ctx, tieredTopic)
		if err == nil {
			err = starts.Error()
		}
		if err != nil {
			t.Fatalf("listing the start offset of %s: %v", tieredTopic, err)
		}
		o, _ := starts.Lookup(tieredTopic, 0)
		return o.Offset
	}
	begin := time.Now()
	first := listStart()
	deadline := begin.Add(tierWaitTimeout)
	for {
		st, ok := tb.status()
		if ok && st.RemoteStart == 0 && st.RemoteEnd > 0 && listStart() == 0 {
			return first, time.Since(begin)
		}
		if time.Now().After(deadline) {
			t.Fatalf("after a restart the remote tier of %s was not back within %v: %+v (listed %v)", tieredTopic, tierWaitTimeout, st, ok)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// tierRound is one round's reads, by index into tierReads.
type tierRound [3]loadgen.Result

// runTierStore runs the whole benchmark on one object store: produces records records to
// both topics, waits for the tiered one's uploads, then for each round restarts the broker
// and reads both topics in full.
func runTierStore(t *testing.T, store tierStore, records, rounds int) []tierRound {
	ctx := context.Background()
	url, openOpts := store.open(t)
	data := int64(records) * recordSize
	tb := &tierBroker{cfg: engine.Config{
		DataDir:               t.TempDir(),
		Flush:                 engine.FlushSync,
		DisableAdmin:          true,
		DisableSchemaRegistry: true,
		RemoteStorage:         url,
		RemoteStorageOptions:  openOpts,
		// Room for every chunk of the tiered topic, batch headers and indexes included,
		// so the warm read is served from the cache alone.
		RemoteCacheBytes: max(2*data, 256<<20),
	}}
	t.Cleanup(func() { tb.stop(t) })
	tb.start(t)

	segBytes := kadm.StringPtr(strconv.Itoa(tierSegmentBytes))
	if err := createTopicWithConfigs(ctx, tb.addrs(), tieredTopic, map[string]*string{
		"remote.storage.enable": kadm.StringPtr("true"),
		"segment.bytes":         segBytes,
		"local.retention.bytes": kadm.StringPtr("1"),
	}); err != nil {
		t.Fatal(err)
	}
	if err := createTopicWithConfigs(ctx, tb.addrs(), localTopic, map[string]*string{
		"segment.bytes": segBytes,
	}); err != nil {
		t.Fatal(err)
	}
	for _, topic := range []string{tieredTopic, localTopic} {
		res, err := produce(ctx, tb.addrs(), topic, 1, records)
		if err != nil {
			t.Fatalf("%s: producing to %s: %v", store.name, topic, err)
		}
		t.Logf("%s: produced %d records to %s: %.0f rec/s, %.1f MiB/s", store.name, res.Records, topic, res.RecordsPerSec(), res.MBPerSec())
	}
	waitStart := time.Now()
	st := waitUploadedLocally(t, tb, records)
	t.Logf("%s: uploaded and deleted locally %v after the last produce: remote offsets [%d, %d) (%.1f%% of the records), %.1f MiB remote, %.1f MiB local",
		store.name, time.Since(waitStart).Round(time.Millisecond), st.RemoteStart, st.RemoteEnd,
		100*float64(st.RemoteEnd)/float64(records), float64(st.RemoteBytes)/(1<<20), float64(st.LocalBytes)/(1<<20))

	read := func(topic string) loadgen.Result {
		settle()
		res, err := consume(ctx, tb.addrs(), topic, records)
		if err != nil {
			t.Fatalf("%s: reading %s: %v", store.name, topic, err)
		}
		return res
	}
	out := make([]tierRound, 0, rounds)
	for round := range rounds {
		// A restart clears the cache directory: the first read of the tiered topic after it
		// is cold. The local read goes first every other round, so that neither always runs
		// right after the restart.
		tb.stop(t)
		tb.start(t)
		first, waited := waitRemoteAttached(t, tb)
		if n := tb.cacheBytes(t); n != 0 {
			t.Fatalf("%s: the remote read cache holds %d bytes after a restart, want it empty", store.name, n)
		}
		var r tierRound
		if round%2 == 1 {
			r[2] = read(localTopic)
		}
		r[0] = read(tieredTopic)
		cold := tb.cacheBytes(t)
		r[1] = read(tieredTopic)
		warm := tb.cacheBytes(t)
		if round%2 == 0 {
			r[2] = read(localTopic)
		}
		out = append(out, r)
		t.Logf("%s round %d (log start %d right after the restart, 0 after %v; cache %.1f MiB after the cold read, %.1f MiB after the warm one):",
			store.name, round+1, first, waited.Round(time.Millisecond), float64(cold)/(1<<20), float64(warm)/(1<<20))
		for i, name := range tierReads {
			t.Logf("  %-18s %9.0f rec/s %7.1f MiB/s %v", name, r[i].RecordsPerSec(), r[i].MBPerSec(), r[i].Elapsed.Round(time.Millisecond))
		}
	}
	return out
}

// TestCompareTieredRead measures reading from tiered storage's remote tier against reading
// the same data locally, in one run (issue 8, must-show 5). On a durable streamlite
// (acks=all after fsync) with tiered storage on file://TMP, and also on S3 (versitygw on
// loopback) with STREAMLITE_BENCH_TIERED_S3=1, it writes the same STREAMLITE_BENCH_RECORDS
// 1 KiB records to two one-partition topics with 8 MiB segments: one with
// remote.storage.enable=true and local.retention.bytes=1, so that once its closed segments
// are uploaded only the active segment is left locally, and one without tiering. Then, for
// STREAMLITE_BENCH_ROUNDS rounds, it restarts the broker (which empties the remote read
// cache) and reads the tiered topic from offset 0 twice, cache cold then warm, and the local
// topic once, each with a fresh client, checking every read returns every record. It prints
// the medians of records/s and MiB/s per read and the median per-round ratio to the local
// read, with its range.
//
// The cold read is cold for streamlite's cache only: the file:// store's objects (and
// versitygw's files) may still be in the OS page cache, as the local topic's segments are.
func TestCompareTieredRead(t *testing.T) {
	if os.Getenv("STREAMLITE_BENCH_TIERED") != "1" {
		t.Skip("tiered storage read benchmark (10–30 s per object store at the defaults); " +
			"set STREAMLITE_BENCH_TIERED=1 to run it, STREAMLITE_BENCH_TIERED_S3=1 to add S3 (versitygw) " +
			"(STREAMLITE_BENCH_RECORDS, STREAMLITE_BENCH_ROUNDS tune it)")
	}
	records := envInt(t, "STREAMLITE_BENCH_RECORDS", defaultRecords)
	rounds := envInt(t, "STREAMLITE_BENCH_ROUNDS", defaultRounds)
	t.Logf("%d rounds, %d records of %d bytes per topic, GOMAXPROCS %d", rounds, records, recordSize, runtime.GOMAXPROCS(0))

	type storeResult struct {
		name   string
		rounds []tierRound
	}
	var results []storeResult
	for _, store := range tierStores() {
		t.Run(store.name, func(t *testing.T) {
			results = append(results, storeResult{store.name, runTierStore(t, store, records, rounds)})
		})
	}
	if len(results) == 0 {
		return
	}

	var sb strings.Builder
	w := tabwriter.NewWriter(&sb, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "store\tread\trec/s\tMiB/s\tvs local\tratio range\t\n")
	for _, sr := range results {
		for i, name := range tierReads {
			rs := make([]loadgen.Result, len(sr.rounds))
			ratios := make([]float64, len(sr.rounds))
			for j, r := range sr.rounds {
				rs[j] = r[i]
				ratios[j] = r[i].RecordsPerSec() / r[2].RecordsPerSec()
			}
			fmt.Fprintf(w, "%s\t%s\t%.0f\t%.1f\t%.2fx\t%.2f–%.2f\t\n", sr.name, name,
				median(rs, loadgen.Result.RecordsPerSec), median(rs, loadgen.Result.MBPerSec),
				medianOf(ratios), slices.Min(ratios), slices.Max(ratios))
		}
	}
	w.Flush()
	fmt.Printf("\ntiered storage reads vs local, streamlite durable, one partition, %d × %d B records, 8 MiB segments, median of %d rounds, GOMAXPROCS %d:\n\n%s\n",
		records, recordSize, rounds, runtime.GOMAXPROCS(0), sb.String())
}
