package benchcmp

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamlite/streamlite/engine/loadgen"
	sqlruntime "github.com/streamlite/streamlite/sql/runtime"
)

// The SQL comparison's input: sqlTopic of sqlPartitions partitions, sqlUsers
// user ids as keys, timestamps sqlStep apart.
const (
	sqlTopic      = "clicks"
	sqlPartitions = 4
	sqlUsers      = 1000
	sqlStep       = 10 * time.Millisecond
	// sqlPoll is how often a query's progress is read.
	sqlPoll = 20 * time.Millisecond
)

// sqlSource declares the input stream; every query scenario runs it first
// on a server of its own.
const sqlSource = `SET 'auto.offset.reset'='earliest';
CREATE STREAM clicks (user_id STRING KEY, page STRING, ms INT, region STRING)
  WITH (kafka_topic='clicks', value_format='JSON');
`

// sqlScenarios are the queries measured against the raw consume rate, with
// the ratio each should reach.
var sqlScenarios = []struct {
	name  string
	query string
	goal  float64
}{
	{"filter/project", `CREATE STREAM slow AS SELECT user_id, page, ms FROM clicks WHERE ms % 2 = 0;`, 0.50},
	{"window", `CREATE TABLE per_user AS SELECT user_id, COUNT(*) AS n, SUM(ms) AS total
  FROM clicks WINDOW TUMBLING (SIZE 10 SECONDS) GROUP BY user_id;`, 0.25},
}

// sqlProduce writes records JSON clicks to sqlTopic with one batching
// producer, idempotent as franz-go's is by default: set-up, not measured.
func sqlProduce(ctx context.Context, addrs []string, records int) error {
	ctx, cancel := context.WithTimeout(ctx, runTimeout)
	defer cancel()
	cl, err := kgo.NewClient(append(clientOpts(), kgo.SeedBrokers(addrs...), kgo.DefaultProduceTopic(sqlTopic),
		kgo.ProducerLinger(5*time.Millisecond), kgo.ProducerBatchMaxBytes(1<<20),
		kgo.MaxBufferedRecords(100_000))...)
	if err != nil {
		return err
	}
	defer cl.Close()
	base := time.UnixMilli(1_700_000_000_000)
	errc := make(chan error, 1)
	for i := range records {
		rec := &kgo.Record{
			Key:       []byte("u" + strconv.Itoa(i%sqlUsers)),
			Value:     fmt.Appendf(nil, `{"PAGE":"p%d","MS":%d,"REGION":"%s"}`, i%50, i%1000, [...]string{"eu", "us", "ap"}[i%3]),
			Timestamp: base.Add(time.Duration(i) * sqlStep),
		}
		cl.Produce(ctx, rec, func(_ *kgo.Record, err error) {
			if err != nil {
				select {
				case errc <- err:
				default:
				}
			}
		})
	}
	if err := cl.Flush(ctx); err != nil {
		return err
	}
	select {
	case err := <-errc:
		return err
	default:
		return nil
	}
}

// sqlConsume reads sqlTopic from the start, read_committed as the queries
// read it.
func sqlConsume(ctx context.Context, addrs []string, records int) (loadgen.Result, error) {
	ctx, cancel := context.WithTimeout(ctx, runTimeout)
	defer cancel()
	res, err := loadgen.Consume(ctx, loadgen.ConsumeOptions{Brokers: addrs, Topic: sqlTopic,
		ClientOpts: append(clientOpts(), kgo.FetchIsolationLevel(kgo.ReadCommitted()))})
	if err == nil && res.Records != int64(records) {
		err = fmt.Errorf("read %d records, want %d", res.Records, records)
	}
	return res, err
}

// sqlRun is one query's run: the whole of it, the time to its first
// commit, and the part after that. The first commit comes after the
// query's start (the statements written to the command topic, the sink
// and changelog topics created, the consumer group joined) and its first
// transaction of up to MaxPollRecords records.
type sqlRun struct {
	loadgen.Result
	toFirst time.Duration
	after   loadgen.Result
}

// sqlQuery starts a SQL server of its own (service id service, so its
// query reads from the start), declares the input and runs query, and
// measures from Execute until the query reports every input record
// processed.
func sqlQuery(ctx context.Context, addrs []string, service, query string, records int) (sqlRun, error) {
	ctx, cancel := context.WithTimeout(ctx, runTimeout)
	defer cancel()
	run := sqlRun{Result: loadgen.Result{Topic: sqlTopic}}
	srv, err := sqlruntime.Start(ctx, sqlruntime.Config{
		Brokers: addrs, ServiceID: service, ClientOpts: clientOpts(), Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		return run, err
	}
	defer srv.Close()
	start := time.Now()
	out, err := srv.Execute(ctx, sqlSource+query, nil)
	if err != nil {
		return run, err
	}
	id := out[len(out)-1].QueryID
	tick := time.NewTicker(sqlPoll)
	defer tick.Stop()
	var first int64
	for {
		for _, q := range srv.Queries() {
			if q.ID != id {
				continue
			}
			if q.State != sqlruntime.StateRunning {
				return run, fmt.Errorf("query %s: %s: %s", id, q.State, q.Error)
			}
			run.Records = q.Processed
		}
		if run.Records > 0 && first == 0 {
			first, run.toFirst = run.Records, time.Since(start)
		}
		if run.Records >= int64(records) {
			run.Elapsed = time.Since(start)
			run.after = loadgen.Result{Records: run.Records - first, Elapsed: run.Elapsed - run.toFirst}
			if run.Records != int64(records) {
				return run, fmt.Errorf("query %s processed %d records, want %d", id, run.Records, records)
			}
			return run, nil
		}
		select {
		case <-ctx.Done():
			return run, fmt.Errorf("query %s: %d of %d records processed: %w", id, run.Records, records, ctx.Err())
		case <-tick.C:
		}
	}
}

// TestCompareSQL measures persistent SQL queries against the rate a plain
// read_committed consumer reads their input at: each round on a fresh
// durable streamlite broker, records JSON clicks in 4 partitions, read raw,
// then through a filter/project query and a tumbling-window aggregate,
// each on a fresh SQL server. It prints records/s of input (median and
// range), the median per-round ratio to the raw read, and, to tell the
// start from the steady rate, each query's median time to its first
// commit and its rate after it.
func TestCompareSQL(t *testing.T) {
	if os.Getenv("STREAMLITE_BENCH_SQL") != "1" {
		t.Skip("SQL query throughput against the raw consume rate; " +
			"set STREAMLITE_BENCH_SQL=1 to run it (STREAMLITE_BENCH_RECORDS, STREAMLITE_BENCH_ROUNDS tune it)")
	}
	records := envInt(t, "STREAMLITE_BENCH_RECORDS", defaultRecords)
	rounds := envInt(t, "STREAMLITE_BENCH_ROUNDS", defaultRounds)
	ctx := context.Background()
	names := []string{"raw consume"}
	for _, sc := range sqlScenarios {
		names = append(names, sc.name)
	}
	results := make([][]loadgen.Result, len(names))
	runs := make([][]sqlRun, len(sqlScenarios))
	for round := range rounds {
		r := startBroker(t, broker{"streamlite", startStreamlite})
		if err := createTopic(ctx, r.addrs, sqlTopic, sqlPartitions); err != nil {
			t.Fatal(err)
		}
		if err := sqlProduce(ctx, r.addrs, records); err != nil {
			t.Fatalf("producing: %v", err)
		}
		settle()
		res, err := sqlConsume(ctx, r.addrs, records)
		if err != nil {
			t.Fatalf("raw consume: %v", err)
		}
		results[0] = append(results[0], res)
		for i, sc := range sqlScenarios {
			settle()
			service := fmt.Sprintf("bench%d-r%d", i, round)
			res, err := sqlQuery(ctx, r.addrs, service, sc.query, records)
			if err != nil {
				t.Fatalf("%s: %v", sc.name, err)
			}
			results[i+1] = append(results[i+1], res.Result)
			runs[i] = append(runs[i], res)
		}
		stopBroker(t, r)
		line := fmt.Sprintf("round %d:", round+1)
		for i, n := range names {
			line += fmt.Sprintf(" %s %.0f rec/s;", n, results[i][round].RecordsPerSec())
		}
		t.Log(line)
	}

	ratios := make([][]float64, len(names))
	var sb strings.Builder
	w := tabwriter.NewWriter(&sb, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "scenario\trec/s\trange\tvs raw consume\tratio range\tfirst commit\trec/s after it\t\n")
	for i, n := range names {
		rs := results[i]
		for j := range rs {
			ratios[i] = append(ratios[i], rs[j].RecordsPerSec()/results[0][j].RecordsPerSec())
		}
		first, after := "-", "-"
		if i > 0 {
			var firsts []float64
			var afters []loadgen.Result
			for _, r := range runs[i-1] {
				firsts = append(firsts, ms(r.toFirst))
				afters = append(afters, r.after)
			}
			first = fmt.Sprintf("%.0f ms", medianOf(firsts))
			after = fmt.Sprintf("%.0f", median(afters, loadgen.Result.RecordsPerSec))
		}
		fmt.Fprintf(w, "%s\t%.0f\t%.0f–%.0f\t%.2fx\t%.2f–%.2f\t%s\t%s\t\n", n,
			median(rs, loadgen.Result.RecordsPerSec),
			slices.Min(rateOf(rs)), slices.Max(rateOf(rs)),
			medianOf(ratios[i]), slices.Min(ratios[i]), slices.Max(ratios[i]), first, after)
	}
	w.Flush()
	var goals []string
	for i, sc := range sqlScenarios {
		verdict := "met"
		if medianOf(ratios[i+1]) < sc.goal {
			verdict = "MISSED"
		}
		goals = append(goals, fmt.Sprintf("%s ≥ %.2fx %s (%.2fx)", sc.name, sc.goal, verdict, medianOf(ratios[i+1])))
	}
	fmt.Printf("\nSQL queries vs raw read_committed consume, durable broker, %d JSON records in %d partitions, median of %d rounds, GOMAXPROCS %d:\n\n%s\ngoal: %s\n\n",
		records, sqlPartitions, rounds, runtime.GOMAXPROCS(0), sb.String(), strings.Join(goals, "; "))
}

func rateOf(rs []loadgen.Result) []float64 {
	out := make([]float64, len(rs))
	for i, r := range rs {
		out[i] = r.RecordsPerSec()
	}
	return out
}
