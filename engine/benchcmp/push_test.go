package benchcmp

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamlite/streamlite/engine/loadgen"
	"github.com/streamlite/streamlite/sql/rest"
	sqlruntime "github.com/streamlite/streamlite/sql/runtime"
)

// The push comparison: a producer at full speed on pushTopic, alone and
// with pushClients push queries reading it over HTTP. Issue 10, must-show
// 4: the drop is to stay under pushMaxDrop.
const (
	pushTopic      = "events"
	pushPartitions = 4
	pushClients    = 50
	pushMaxDrop    = 0.20
	// pushCatchUp bounds the wait, after the producer is done, for every
	// push query to deliver every record.
	pushCatchUp = 2 * time.Minute
	// pushSample is how often memory is sampled during a produce run.
	pushSample = 200 * time.Millisecond
)

// pushValue is every record's value: a small JSON object of the stream's
// columns (no key).
var pushValue = []byte(`{"PAGE":"p12","MS":123,"REGION":"eu"}`)

const (
	pushDDL   = `CREATE STREAM events (page STRING, ms INT, region STRING) WITH (kafka_topic='events', value_format='JSON', partitions=4);`
	pushQuery = `SELECT * FROM events EMIT CHANGES;`
)

// pushEnv is one round's SQL server: the runtime and the REST handler on
// a loopback HTTP server, over a fresh durable broker.
type pushEnv struct {
	addrs []string
	url   string
	http  *http.Client
	close func()
}

// pushLogger is the SQL runtime's logger: debug to stderr with
// STREAMLITE_BENCH_LOG=1, else nothing.
func pushLogger() *slog.Logger {
	if os.Getenv("STREAMLITE_BENCH_LOG") == "1" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// pushSetup starts the runtime and the REST API on r and declares the
// stream, waiting until the broker's metadata shows its partitions. The
// caller closes the env before it stops the broker.
func pushSetup(t *testing.T, r *running, round int) *pushEnv {
	t.Helper()
	ctx := context.Background()
	srv, err := sqlruntime.Start(ctx, sqlruntime.Config{
		Brokers: r.addrs, ServiceID: fmt.Sprintf("pushbench-r%d", round), ClientOpts: clientOpts(),
		Logger: pushLogger(),
	})
	if err != nil {
		t.Fatalf("starting the SQL runtime: %v", err)
	}
	h := rest.NewHandler("pushbench", pushLogger())
	h.SetServer(srv)
	hs := httptest.NewServer(h)
	tr := &http.Transport{MaxIdleConnsPerHost: pushClients + 1, DisableCompression: true}
	env := &pushEnv{addrs: r.addrs, url: hs.URL, http: &http.Client{Transport: tr}}
	// The HTTP server first (it waits for the handlers, which end with
	// their clients), then the runtime.
	env.close = sync.OnceFunc(func() {
		tr.CloseIdleConnections()
		hs.Close()
		srv.Close()
	})
	t.Cleanup(env.close) // a failed round's

	body, _ := json.Marshal(map[string]any{"ksql": pushDDL})
	resp, err := env.http.Post(env.url+"/ksql", rest.ContentType, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %d %s", pushDDL, resp.StatusCode, answer)
	}
	if err := createTopic(ctx, r.addrs, pushTopic, pushPartitions); err != nil {
		t.Fatal(err)
	}
	return env
}

// pushClient is one push query over HTTP: it reads every row and keeps
// only their count.
type pushClient struct {
	rows atomic.Int64
	done chan struct{}
	err  error // set before done closes; nil when it ended by cancel
}

// startPushClients opens n push queries from latest on /query-stream and
// returns once every one has answered its header.
func startPushClients(ctx context.Context, env *pushEnv, n int) ([]*pushClient, error) {
	body, _ := json.Marshal(map[string]any{"sql": pushQuery, "properties": map[string]any{}})
	clients := make([]*pushClient, n)
	headers := make(chan error, n)
	for i := range clients {
		c := &pushClient{done: make(chan struct{})}
		clients[i] = c
		go func() {
			defer close(c.done)
			c.err = c.run(ctx, env, body, headers)
		}()
	}
	for range n {
		if err := <-headers; err != nil {
			return clients, err
		}
	}
	return clients, nil
}

func (c *pushClient) run(ctx context.Context, env *pushEnv, body []byte, header chan<- error) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, env.url+"/query-stream", bytes.NewReader(body))
	if err != nil {
		header <- err
		return err
	}
	req.Header.Set("Content-Type", rest.DelimitedType)
	resp, err := env.http.Do(req)
	if err != nil {
		header <- err
		return err
	}
	defer resp.Body.Close()
	br := bufio.NewReaderSize(resp.Body, 64<<10)
	line, err := br.ReadBytes('\n')
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("/query-stream: %d %s", resp.StatusCode, line)
	}
	header <- err
	if err != nil {
		return err
	}
	// One row per line: count the line ends, keep nothing.
	buf := make([]byte, 64<<10)
	for {
		k, err := br.Read(buf)
		c.rows.Add(int64(bytes.Count(buf[:k], []byte{'\n'})))
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("push query ended: %w", err)
		}
	}
}

func totalRows(cs []*pushClient) int64 {
	var n int64
	for _, c := range cs {
		n += c.rows.Load()
	}
	return n
}

// awaitConsuming writes marker records until every push query has
// delivered one, so that each consumer has its position at the end of the
// topic before the measured run starts (a query's header is answered
// before its consumer lists the offsets it starts from).
func awaitConsuming(ctx context.Context, env *pushEnv, cs []*pushClient) error {
	cl, err := kgo.NewClient(append(clientOpts(), kgo.SeedBrokers(env.addrs...), kgo.DefaultProduceTopic(pushTopic))...)
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		waiting := 0
		for _, c := range cs {
			if c.rows.Load() == 0 {
				waiting++
			}
		}
		if waiting == 0 {
			return nil
		}
		if err := cl.ProduceSync(ctx, &kgo.Record{Value: pushValue}).FirstErr(); err != nil {
			return fmt.Errorf("marker record (%d push queries not reading yet): %w", waiting, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d of %d push queries deliver no rows: %w", waiting, len(cs), ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// awaitQuiet waits until the push queries have delivered every marker
// (their row counts stop moving for 200 ms, up to 10 s), so that a late
// marker is not taken for a measured record.
func awaitQuiet(cs []*pushClient) {
	last, still := totalRows(cs), 0
	for deadline := time.Now().Add(10 * time.Second); still < 4 && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		n := totalRows(cs)
		if n == last {
			still++
		} else {
			last, still = n, 0
		}
	}
}

// memPeak is what sampling saw during a run, as growth over the sample
// taken just before the clients (if any) started.
type memPeak struct {
	heap, rss int64 // bytes; rss < 0 when unknown
}

// sampleMem samples HeapInuse and VmRSS every pushSample until stop is
// closed, and sends the peaks' growth over base.
func sampleMem(baseHeap, baseRSS int64, stop <-chan struct{}, out chan<- memPeak) {
	peak := memPeak{rss: -1}
	tick := time.NewTicker(pushSample)
	defer tick.Stop()
	for {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		peak.heap = max(peak.heap, int64(ms.HeapInuse)-baseHeap)
		if rss := readRSS(); rss >= 0 && baseRSS >= 0 {
			peak.rss = max(peak.rss, rss-baseRSS)
		}
		select {
		case <-stop:
			out <- peak
			return
		case <-tick.C:
		}
	}
}

// readRSS is the process's resident set in bytes (Linux), -1 elsewhere.
func readRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return -1
			}
			return kb << 10
		}
	}
	return -1
}

func heapInuse() int64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapInuse)
}

// profileRun starts a CPU profile of the produce run with clients push
// queries when STREAMLITE_BENCH_PUSH_PROFILE names a file prefix
// (PREFIX-<clients>.out, the last round's), and returns what stops it and
// writes a heap profile as the producer ends (PREFIX-<clients>.heap).
func profileRun(t *testing.T, clients int) func() {
	prefix := os.Getenv("STREAMLITE_BENCH_PUSH_PROFILE")
	if prefix == "" {
		return func() {}
	}
	f, err := os.Create(fmt.Sprintf("%s-%d.out", prefix, clients))
	if err != nil {
		t.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		t.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
		if hf, err := os.Create(fmt.Sprintf("%s-%d.heap", prefix, clients)); err == nil {
			_ = pprof.WriteHeapProfile(hf)
			hf.Close()
		}
	}
}

// pushRun is one measured produce run.
type pushRun struct {
	produce   loadgen.Result
	mem       memPeak
	delivered int64         // rows the push queries delivered while the producer ran
	catchUp   time.Duration // from the producer's end until every query had every record
	lag       int64         // rows not delivered when pushCatchUp ran out
	cpu       float64       // the process's CPU time over the producer's run, in cores
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// pushProduce writes records small JSON records to pushTopic with one
// idempotent producer at full speed, acks=all, while clients push queries
// read them, and measures it.
func pushProduce(t *testing.T, env *pushEnv, clients, records int) pushRun {
	t.Helper()
	ctx := context.Background()
	settle()
	baseHeap, baseRSS := heapInuse(), readRSS()
	var run pushRun
	var cs []*pushClient
	qctx, cancel := context.WithCancel(ctx)
	defer func() {
		cancel()
		for _, c := range cs {
			<-c.done
			if c.err != nil {
				t.Errorf("push query: %v", c.err)
			}
		}
	}()
	if clients > 0 {
		var err error
		if cs, err = startPushClients(qctx, env, clients); err != nil {
			t.Fatalf("starting %d push queries: %v", clients, err)
		}
		if err := awaitConsuming(ctx, env, cs); err != nil {
			t.Fatal(err)
		}
		awaitQuiet(cs)
	}
	before := make([]int64, len(cs))
	for i, c := range cs {
		before[i] = c.rows.Load()
	}

	stop, peaks := make(chan struct{}), make(chan memPeak, 1)
	go sampleMem(baseHeap, baseRSS, stop, peaks)
	pctx, pcancel := context.WithTimeout(ctx, runTimeout)
	cpu0 := cpuTime()
	stopProfile := profileRun(t, clients)
	res, err := loadgen.Produce(pctx, loadgen.ProduceOptions{
		Brokers: env.addrs, Topic: pushTopic, Records: records, Value: pushValue,
		Partitions: pushPartitions, Acks: loadgen.AcksAll, Producers: 1, ClientOpts: clientOpts(),
	})
	pcancel()
	stopProfile()
	if err == nil && res.Records != int64(records) {
		err = fmt.Errorf("produced %d records, want %d", res.Records, records)
	}
	if err != nil {
		close(stop)
		t.Fatalf("producing with %d push queries: %v", clients, err)
	}
	run.produce = res
	run.cpu = float64(cpuTime()-cpu0) / float64(res.Elapsed)
	run.delivered = totalRows(cs) - sumOf(before)

	// Every query is to deliver every record; wait for the slowest.
	end := time.Now()
	deadline := end.Add(pushCatchUp)
	for {
		var lag int64
		for i, c := range cs {
			lag += max(0, before[i]+int64(records)-c.rows.Load())
		}
		run.lag = lag
		if lag == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	run.catchUp = time.Since(end)
	close(stop)
	run.mem = <-peaks
	return run
}

func sumOf(vs []int64) int64 {
	var n int64
	for _, v := range vs {
		n += v
	}
	return n
}

// TestComparePushQueries measures what push queries cost the broker's
// producers (issue 10, must-show 4): each round on a fresh durable
// streamlite broker with the SQL runtime and its REST API on a loopback
// HTTP server, STREAMLITE_BENCH_RECORDS small JSON records written to a
// stream of 4 partitions by one idempotent acks=all producer at full
// speed, (a) with no push query and (b) with 50 concurrent push queries
// (SELECT * FROM events EMIT CHANGES, from latest, over /query-stream,
// each client reading and discarding its rows), the order alternating by
// round. It prints produce records/s (median and range), the median
// per-round ratio (b)/(a) and whether the drop is under 20%, the rows/s
// the push queries delivered while the producer ran, how long they took
// after it to deliver everything, and the heap and RSS growth.
func TestComparePushQueries(t *testing.T) {
	if os.Getenv("STREAMLITE_BENCH_PUSH") != "1" {
		t.Skip("produce throughput with and without 50 push queries; " +
			"set STREAMLITE_BENCH_PUSH=1 to run it (STREAMLITE_BENCH_RECORDS, STREAMLITE_BENCH_ROUNDS tune it)")
	}
	records := envInt(t, "STREAMLITE_BENCH_RECORDS", defaultRecords)
	rounds := envInt(t, "STREAMLITE_BENCH_ROUNDS", defaultRounds)
	counts := []int{0, pushClients}
	runs := make([][]pushRun, len(counts))
	for round := range rounds {
		r := startBroker(t, broker{"streamlite", startStreamlite})
		env := pushSetup(t, r, round)
		order := []int{0, 1}
		if round%2 == 1 {
			slices.Reverse(order)
		}
		for _, i := range order {
			runs[i] = append(runs[i], pushProduce(t, env, counts[i], records))
		}
		a, b := runs[0][round], runs[1][round]
		t.Logf("round %d: no push queries %.0f rec/s; %d push queries %.0f rec/s (%.2fx), %.0f rows/s delivered, all delivered %v after the producer (lag %d)",
			round+1, a.produce.RecordsPerSec(), pushClients, b.produce.RecordsPerSec(),
			b.produce.RecordsPerSec()/a.produce.RecordsPerSec(),
			float64(b.delivered)/b.produce.Elapsed.Seconds(), b.catchUp.Round(time.Millisecond), b.lag)
		env.close()
		stopBroker(t, r)
	}

	var ratios []float64
	for j := range runs[0] {
		ratios = append(ratios, runs[1][j].produce.RecordsPerSec()/runs[0][j].produce.RecordsPerSec())
	}
	mib := func(b int64) string {
		if b < 0 {
			return "-"
		}
		return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20))
	}
	var sb strings.Builder
	w := tabwriter.NewWriter(&sb, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "scenario\trec/s\trange\tvs none\tratio range\tp99\tdelivered rows/s\tall delivered after\tpeak heap growth\tpeak RSS growth\tCPU\t\n")
	for i, n := range counts {
		rs := runs[i]
		prods := make([]loadgen.Result, len(rs))
		var heaps, rsss, delivered, catchUps, cpus []float64
		for j, r := range rs {
			prods[j] = r.produce
			heaps = append(heaps, float64(r.mem.heap))
			rsss = append(rsss, float64(r.mem.rss))
			delivered = append(delivered, float64(r.delivered)/r.produce.Elapsed.Seconds())
			catchUps = append(catchUps, ms(r.catchUp))
			cpus = append(cpus, r.cpu)
		}
		name, ratio, rrange, deliv, after := "no push queries", "-", "-", "-", "-"
		if n > 0 {
			name = fmt.Sprintf("%d push queries", n)
			ratio = fmt.Sprintf("%.2fx", medianOf(ratios))
			rrange = fmt.Sprintf("%.2f–%.2f", slices.Min(ratios), slices.Max(ratios))
			deliv = fmt.Sprintf("%.0f", medianOf(delivered))
			after = fmt.Sprintf("%.0f ms", medianOf(catchUps))
			var lag int64
			for _, r := range rs {
				lag = max(lag, r.lag)
			}
			if lag > 0 {
				after = fmt.Sprintf("not in %v (lag %d)", pushCatchUp, lag)
			}
		}
		fmt.Fprintf(w, "%s\t%.0f\t%.0f–%.0f\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.2f\t\n", name,
			median(prods, loadgen.Result.RecordsPerSec), slices.Min(rateOf(prods)), slices.Max(rateOf(prods)),
			ratio, rrange, fmtMs(median(prods, func(r loadgen.Result) float64 { return ms(r.P99) })),
			deliv, after, mib(int64(medianOf(heaps))), mib(int64(medianOf(rsss))), medianOf(cpus))
	}
	w.Flush()
	drop := 1 - medianOf(ratios)
	verdict := "met"
	if drop >= pushMaxDrop {
		verdict = "MISSED"
	}
	fmt.Printf("\nproduce with and without %d push queries (SELECT * FROM %s EMIT CHANGES over /query-stream, from latest), durable broker, acks=all, %d records of %d B JSON in %d partitions, median of %d rounds, GOMAXPROCS %d:\n\n%s\ngoal: drop < %.0f%% %s (drop %.1f%%)\n\n",
		pushClients, pushTopic, records, len(pushValue), pushPartitions, rounds, runtime.GOMAXPROCS(0), sb.String(),
		pushMaxDrop*100, verdict, drop*100)
}
