package crashtest

import (
	"context"
	binenc "encoding/binary"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// The SQL script both end-to-end tests run through `streamlite sql -f`: a
// filter (CSAS) and a windowed count (CTAS) over the same input.
const sqlScript = `-- issue 9's end-to-end script
SET 'auto.offset.reset' = 'earliest';
CREATE STREAM clicks (user_id STRING KEY, seq BIGINT, ms INT)
  WITH (kafka_topic='clicks', value_format='JSON', partitions=3);
CREATE STREAM slow AS SELECT user_id, seq, ms FROM clicks WHERE ms % 3 = 0;
CREATE TABLE per_user AS SELECT user_id, COUNT(*) AS n
  FROM clicks WINDOW TUMBLING (SIZE 10 SECONDS) GROUP BY user_id;
`

// sqlProcess is a process that runs the SQL runtime (`up` or
// `sql-server`) and can be killed and started again.
type sqlProcess interface {
	start()
	kill()
}

// TestCrashSQL creates a CSAS and a windowed CTAS with `streamlite sql -f`
// on `streamlite up`, produces with franz-go, and kills the whole process
// (broker and query runtime) with SIGKILL STREAMLITE_CRASH_SQL_KILLS times
// (default 3) mid-stream; every input's result must be in the sink topics
// exactly once.
func TestCrashSQL(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test")
	}
	sqlAddr := freeAddr(t)
	b := newBroker(t, "--sql-addr", sqlAddr)
	b.start()
	runSQLCrash(t, b, []string{b.addr}, sqlAddr, envInt(t, "STREAMLITE_CRASH_SQL_KILLS", 3), func() string { return b.logTail() })
}

// TestSQLOnKfake runs the same script with `streamlite sql-server` beside
// a 3-broker kfake cluster (standing in for a Kafka cluster) and kills the
// SQL server twice mid-stream; the results must be the same.
func TestSQLOnKfake(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test")
	}
	c, err := kfake.NewCluster(kfake.NumBrokers(3))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	sqlAddr := freeAddr(t)
	p := &sqlServer{t: t, bin: buildBinary(t), brokers: strings.Join(c.ListenAddrs(), ","), addr: sqlAddr,
		logPath: filepath.Join(t.TempDir(), "sql-server.log")}
	t.Cleanup(p.kill)
	p.start()
	runSQLCrash(t, p, c.ListenAddrs(), sqlAddr, 2, p.logTail)
}

// sqlServer is a `streamlite sql-server` child process.
type sqlServer struct {
	t                  *testing.T
	bin, brokers, addr string
	logPath            string
	cmd                *exec.Cmd
	exit               chan struct{}
}

func (p *sqlServer) start() {
	p.t.Helper()
	lf, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		p.t.Fatal(err)
	}
	defer lf.Close()
	p.cmd = exec.Command(p.bin, "sql-server", "--brokers", p.brokers, "--listen", p.addr, "--log-level", "warn")
	p.cmd.Stdout, p.cmd.Stderr = lf, lf
	if err := p.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	p.exit = make(chan struct{})
	go func(cmd *exec.Cmd, exit chan struct{}) {
		_ = cmd.Wait()
		close(exit)
	}(p.cmd, p.exit)
}

func (p *sqlServer) kill() {
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exit
	p.cmd = nil
}

func (p *sqlServer) logTail() string {
	b, _ := os.ReadFile(p.logPath)
	return "sql-server output:\n" + string(b)
}

// waitHealthy waits for the SQL server's /healthcheck to answer 200.
func waitHealthy(t *testing.T, addr string, logs func() string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + addr + "/healthcheck")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("SQL server on %s not healthy after a minute\n%s", addr, logs())
}

// runSQLCrash runs the script, produces sqlRecords inputs while killing
// and restarting p kills times, and checks the outputs.
func runSQLCrash(t *testing.T, p sqlProcess, brokers []string, sqlAddr string, kills int, logs func() string) {
	const records = 6000
	waitHealthy(t, sqlAddr, logs)
	script := filepath.Join(t.TempDir(), "script.sql")
	if err := os.WriteFile(script, []byte(sqlScript), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(buildBinary(t), "sql", "-f", script, "--server", "http://"+sqlAddr).CombinedOutput()
	if err != nil {
		t.Fatalf("streamlite sql -f: %v\n%s", err, out)
	}
	for _, want := range []string{"Stream created", "Created query with ID CSAS_SLOW_0", "Created query with ID CTAS_PER_USER_1"} {
		if !strings.Contains(string(out), want) {
			t.Fatalf("streamlite sql -f printed no %q:\n%s", want, out)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var produced atomic.Int64
	done := make(chan error, 1)
	go func() {
		cl, err := kgo.NewClient(append(crashRetryOpts(), kgo.SeedBrokers(brokers...), kgo.DefaultProduceTopic("clicks"))...)
		if err != nil {
			done <- err
			return
		}
		defer cl.Close()
		base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()
		for from := 0; from < records; from += 100 {
			var rs []*kgo.Record
			for i := from; i < from+100; i++ {
				rs = append(rs, &kgo.Record{Key: fmt.Appendf(nil, "u%d", i%7), Value: fmt.Appendf(nil, `{"SEQ":%d,"MS":%d}`, i, i),
					Timestamp: time.UnixMilli(base + int64(i)*100)})
			}
			if err := cl.ProduceSync(ctx, rs...).FirstErr(); err != nil {
				done <- fmt.Errorf("producing: %w", err)
				return
			}
			produced.Store(int64(from + 100))
			time.Sleep(20 * time.Millisecond)
		}
		done <- nil
	}()

	seed := crashSeed(t)
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 9))
	for k := 0; k < kills; k++ {
		// Each kill lands at a random point of its share of the input,
		// while the producer writes and the queries process.
		at := int64(records) * int64(k*100+rng.IntN(90)+5) / int64(kills*100)
		for produced.Load() < at {
			time.Sleep(time.Millisecond)
		}
		t.Logf("kill %d after %d records produced", k+1, produced.Load())
		p.kill()
		p.start()
		waitHealthy(t, sqlAddr, logs)
	}
	if err := <-done; err != nil {
		t.Fatalf("%v\n%s", err, logs())
	}

	// The expected results follow from what the input topic holds.
	inputs := readTopic(t, brokers, "clicks", records)
	if len(inputs) != records {
		t.Fatalf("input has %d records, want %d", len(inputs), records)
	}
	wantSlow := map[int64]bool{}
	windows := map[string]int{} // user/window -> records
	for _, r := range inputs {
		var v struct{ SEQ, MS int64 }
		if err := json.Unmarshal(r.Value, &v); err != nil {
			t.Fatalf("input %s: %v", r.Value, err)
		}
		if v.MS%3 == 0 {
			wantSlow[v.SEQ] = true
		}
		windows[fmt.Sprintf("%s/%d", r.Key, r.Timestamp.UnixMilli()/10000*10000)]++
	}

	slow := readTopic(t, brokers, "SLOW", len(wantSlow))
	seen := map[int64]bool{}
	for _, r := range slow {
		var v struct{ SEQ int64 }
		if err := json.Unmarshal(r.Value, &v); err != nil {
			t.Fatalf("SLOW %s: %v", r.Value, err)
		}
		if seen[v.SEQ] {
			t.Fatalf("SLOW holds seq %d twice\n%s", v.SEQ, logs())
		}
		if !wantSlow[v.SEQ] {
			t.Fatalf("SLOW holds seq %d, which the filter drops", v.SEQ)
		}
		seen[v.SEQ] = true
	}
	if len(seen) != len(wantSlow) {
		t.Fatalf("SLOW has %d of %d results\n%s", len(seen), len(wantSlow), logs())
	}

	// Every input updates its window once: per (user, window) the counts
	// written are exactly 1, 2, ..., n.
	agg := readTopic(t, brokers, "PER_USER", records)
	next := map[string]int{}
	for _, r := range agg {
		if len(r.Key) < 8 {
			t.Fatalf("PER_USER key %q has no window", r.Key)
		}
		k := fmt.Sprintf("%s/%d", r.Key[:len(r.Key)-8], int64(binenc.BigEndian.Uint64(r.Key[len(r.Key)-8:])))
		var v struct{ N int }
		if err := json.Unmarshal(r.Value, &v); err != nil {
			t.Fatalf("PER_USER %s: %v", r.Value, err)
		}
		if v.N != next[k]+1 {
			t.Fatalf("PER_USER %s: count %d after %d: an input was processed twice or skipped\n%s", k, v.N, next[k], logs())
		}
		next[k] = v.N
	}
	if len(next) != len(windows) {
		t.Fatalf("PER_USER has %d windows, want %d", len(next), len(windows))
	}
	for k, n := range windows {
		if next[k] != n {
			t.Fatalf("PER_USER %s ends at %d, want %d", k, next[k], n)
		}
	}
	t.Logf("%d inputs, %d kills: %d SLOW and %d PER_USER records, each once", records, kills, len(slow), len(agg))
}

// readTopic reads topic read_committed from the start until it has want
// records (or two minutes pass), then a moment longer to catch extras.
func readTopic(t *testing.T, brokers []string, topic string, want int) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var out []*kgo.Record
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for len(out) < want && ctx.Err() == nil {
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) { out = append(out, r) })
	}
	extra, cancel2 := context.WithTimeout(context.Background(), time.Second)
	defer cancel2()
	cl.PollFetches(extra).EachRecord(func(r *kgo.Record) { out = append(out, r) })
	return out
}
