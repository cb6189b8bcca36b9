package txn_test

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamlite/streamlite/cmd/streamlite/internal/clitest"
	"github.com/streamlite/streamlite/cmd/streamlite/internal/txn"
	"github.com/streamlite/streamlite/engine/enginetest"
)

// run executes `txn ARGS... -b addr` and fails the test on error.
func run(t *testing.T, addr string, args ...string) clitest.Result {
	t.Helper()
	return clitest.MustRun(t, txn.NewCommand(), "", append(args, "-b", addr)...)
}

// runErr executes `txn ARGS... -b addr` and fails the test unless it
// returns an error containing want.
func runErr(t *testing.T, addr, want string, args ...string) clitest.Result {
	t.Helper()
	r := clitest.Run(t, txn.NewCommand(), "", append(args, "-b", addr)...)
	if r.Err == nil || !strings.Contains(r.Err.Error(), want) {
		t.Fatalf("%v: got error %v, want one containing %q\nstdout:\n%s", args, r.Err, want, r.Stdout)
	}
	return r
}

// fields returns the line of out whose first fields are prefix (fields
// separated by runs of spaces), with runs of spaces collapsed; "" if none.
func fields(out string, prefix ...string) string {
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) < len(prefix) {
			continue
		}
		match := true
		for i, p := range prefix {
			match = match && f[i] == p
		}
		if match {
			return strings.Join(f, " ")
		}
	}
	return ""
}

// collapse returns out's lines with runs of spaces collapsed and the final
// newline dropped: a table's content, whatever its column widths.
func collapse(out string) string {
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.Join(strings.Fields(l), " ")
	}
	return strings.Join(lines, "\n")
}

// agoRE matches a START-TIME or LAST-TIMESTAMP value: local time to the
// millisecond and how long ago.
var agoRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|[+-]\d\d:\d\d) \((\d+ms|[\dhms]+) ago\)$`)

// TestTxnLifecycle follows one transaction through the three verbs against
// a real broker: 3 plain records on orders/0, then a transaction that
// writes 2 records to orders/0 (from offset 3) and 1 to orders/1 (from
// offset 0), seen Ongoing, then committed (KIP-664's tooling view: the
// coordinator's ListTransactions and DescribeTransactions, the leaders'
// DescribeProducers).
func TestTxnLifecycle(t *testing.T) {
	b := enginetest.New(t, enginetest.Topics(3, "orders"))
	addr := b.Addr()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// Before any transaction: an empty list; the idempotent plain
	// producer is tracked by orders/0 with no open transaction.
	if out, want := run(t, addr, "list").Stdout, "TRANSACTIONAL-ID  PRODUCER-ID  STATE\n"; out != want {
		t.Errorf("list before:\n%s\nwant:\n%s", out, want)
	}
	plain := b.Client(kgo.RecordPartitioner(kgo.ManualPartitioner()))
	for i := range 3 {
		if err := plain.ProduceSync(ctx, &kgo.Record{Topic: "orders", Partition: 0, Value: []byte(fmt.Sprint(i))}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	plainID, _, err := plain.ProducerID(ctx)
	if err != nil {
		t.Fatal(err)
	}

	cl := b.Client(kgo.TransactionalID("app-txn"), kgo.TransactionTimeout(time.Minute),
		kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err := cl.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	begun := time.Now()
	if err := cl.ProduceSync(ctx,
		&kgo.Record{Topic: "orders", Partition: 0, Value: []byte("a")},
		&kgo.Record{Topic: "orders", Partition: 0, Value: []byte("b")},
		&kgo.Record{Topic: "orders", Partition: 1, Value: []byte("c")},
	).FirstErr(); err != nil {
		t.Fatal(err)
	}
	added := time.Now() // the transaction started before this
	pid, epoch, err := cl.ProducerID(ctx)
	if err != nil {
		t.Fatal(err)
	}

	// list, exactly, then its filters.
	ongoing := fmt.Sprintf("TRANSACTIONAL-ID PRODUCER-ID STATE\napp-txn %d Ongoing", pid)
	if out := run(t, addr, "list").Stdout; collapse(out) != ongoing {
		t.Errorf("list ongoing:\n%s\nwant:\n%s", out, ongoing)
	}
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{[]string{"--state", "ongoing"}, true},
		{[]string{"--state", "Empty,CompleteCommit"}, false},
		{[]string{"--producer-id", fmt.Sprint(pid)}, true},
		{[]string{"--producer-id", fmt.Sprint(pid + 1)}, false},
		{[]string{"--state", "Ongoing", "--producer-id", fmt.Sprint(pid + 1)}, false},
		{[]string{"--duration", "1h"}, false},
	} {
		out := run(t, addr, append([]string{"list"}, tc.args...)...).Stdout
		if has := strings.Contains(out, "app-txn"); has != tc.want {
			t.Errorf("list %v: lists app-txn %v, want %v:\n%s", tc.args, has, tc.want, out)
		}
	}
	// KIP-994: running longer than 10ms, once it has.
	time.Sleep(time.Until(added.Add(30 * time.Millisecond)))
	if out := run(t, addr, "list", "--duration", "10ms").Stdout; collapse(out) != ongoing {
		t.Errorf("list --duration 10ms:\n%s\nwant:\n%s", out, ongoing)
	}
	runErr(t, addr, "unknown transaction state", "list", "--state", "sleepy")
	runErr(t, addr, "must not be negative", "list", "--duration", "-1s")

	// describe: the header, the partitions and where the transaction
	// starts in each.
	out := run(t, addr, "describe", "app-txn").Stdout
	for _, want := range []string{
		"TRANSACTIONAL-ID  app-txn\n",
		"STATE             Ongoing\n",
		fmt.Sprintf("PRODUCER-ID       %d\n", pid),
		fmt.Sprintf("PRODUCER-EPOCH    %d\n", epoch),
		"TIMEOUT           1m0s\n",
		"PARTITIONS        2\n",
		"TOPIC   PARTITION  TXN-START-OFFSET\norders  0          3\norders  1          0\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("describe: missing %q in\n%s", want, out)
		}
	}
	if got := fields(out, "COORDINATOR"); !regexp.MustCompile(`^COORDINATOR 0 \(127\.0\.0\.1:\d+\)$`).MatchString(got) {
		t.Errorf("describe: coordinator line %q", got)
	}
	if got := strings.TrimPrefix(fields(out, "START-TIME"), "START-TIME "); !agoRE.MatchString(got) {
		t.Errorf("describe: start time %q", got)
	}

	var js []struct {
		ID         string     `json:"transactional_id"`
		State      string     `json:"state"`
		ProducerID int64      `json:"producer_id"`
		Timeout    int32      `json:"timeout_ms"`
		Start      *time.Time `json:"start_time"`
		Partitions []struct {
			Topic     string `json:"topic"`
			Partition int32  `json:"partition"`
			Start     *int64 `json:"txn_start_offset"`
		} `json:"partitions"`
		Error string `json:"error"`
	}
	r := clitest.Run(t, txn.NewCommand(), "", "describe", "app-txn", "nope", "-o", "json", "-b", addr)
	if r.Err == nil || !strings.Contains(r.Err.Error(), "describing transaction nope: TRANSACTIONAL_ID_NOT_FOUND") {
		t.Errorf("describe -o json with an unknown id: error %v", r.Err)
	}
	if err := json.Unmarshal([]byte(r.Stdout), &js); err != nil {
		t.Fatalf("%v\n%s", err, r.Stdout)
	}
	if len(js) != 2 || js[0].ID != "app-txn" || js[0].State != "Ongoing" || js[0].ProducerID != pid ||
		js[0].Timeout != 60000 || js[0].Start == nil || len(js[0].Partitions) != 2 ||
		js[1].ID != "nope" || !strings.Contains(js[1].Error, "TRANSACTIONAL_ID_NOT_FOUND") {
		t.Fatalf("describe json:\n%s", r.Stdout)
	}
	// The broker stamps the start between BeginTransaction and the first
	// AddPartitionsToTxn; its clock and ours are the same.
	if s := *js[0].Start; s.Before(begun.Truncate(time.Millisecond)) || s.After(time.Now()) {
		t.Errorf("describe json: start %v, want between %v and now", s, begun)
	}
	for i, want := range []int64{3, 0} {
		if p := js[0].Partitions[i]; p.Topic != "orders" || p.Partition != int32(i) || p.Start == nil || *p.Start != want {
			t.Errorf("describe json partition %d: %+v, want start %d", i, p, want)
		}
	}

	// An unknown ID is Kafka's error, named, and a failure; the known
	// ones are still shown.
	r = runErr(t, addr, "describing transaction nope: TRANSACTIONAL_ID_NOT_FOUND: ", "describe", "nope")
	if r.Stdout != "" {
		t.Errorf("describe nope: stdout %q", r.Stdout)
	}
	r = runErr(t, addr, "TRANSACTIONAL_ID_NOT_FOUND", "describe", "nope", "app-txn")
	if !strings.Contains(r.Stdout, "STATE             Ongoing\n") {
		t.Errorf("describe nope app-txn: stdout\n%s", r.Stdout)
	}

	// producers: the transactional producer with its open transaction's
	// start offset, next to the plain one with none.
	out = run(t, addr, "producers", "orders").Stdout
	if !strings.HasPrefix(collapse(out), "PARTITION PRODUCER-ID EPOCH LAST-SEQUENCE LAST-TIMESTAMP COORDINATOR-EPOCH TXN-START-OFFSET\n") {
		t.Errorf("producers header:\n%s", out)
	}
	if got := fields(out, "0", fmt.Sprint(pid)); !regexp.MustCompile(fmt.Sprintf(`^0 %d %d 1 \S+ \(\S+ ago\) \S+ 3$`, pid, epoch)).MatchString(got) {
		t.Errorf("producers orders/0 %d: %q in\n%s", pid, got, out)
	}
	if got := fields(out, "1", fmt.Sprint(pid)); !regexp.MustCompile(fmt.Sprintf(`^1 %d %d 0 \S+ \(\S+ ago\) \S+ 0$`, pid, epoch)).MatchString(got) {
		t.Errorf("producers orders/1 %d: %q in\n%s", pid, got, out)
	}
	if got := fields(out, "0", fmt.Sprint(plainID)); !regexp.MustCompile(fmt.Sprintf(`^0 %d 0 2 \S+ \(\S+ ago\) \S+ -$`, plainID)).MatchString(got) {
		t.Errorf("producers orders/0 %d (plain): %q in\n%s", plainID, got, out)
	}
	if got := fields(out, "2"); got != "" {
		t.Errorf("producers: orders/2 has no producer, got %q", got)
	}
	if out := run(t, addr, "producers", "orders", "-p", "1").Stdout; strings.Count(out, "\n") != 2 || fields(out, "1", fmt.Sprint(pid)) == "" {
		t.Errorf("producers -p 1:\n%s", out)
	}
	var pjs []struct {
		Partition int32 `json:"partition"`
		Producers []struct {
			ProducerID int64  `json:"producer_id"`
			Start      *int64 `json:"txn_start_offset"`
		} `json:"producers"`
	}
	if err := json.Unmarshal([]byte(run(t, addr, "producers", "orders", "-p", "2,1", "-o", "json").Stdout), &pjs); err != nil {
		t.Fatal(err)
	}
	if len(pjs) != 2 || pjs[0].Partition != 1 || pjs[1].Partition != 2 || len(pjs[1].Producers) != 0 ||
		len(pjs[0].Producers) != 1 || pjs[0].Producers[0].ProducerID != pid || pjs[0].Producers[0].Start == nil || *pjs[0].Producers[0].Start != 0 {
		t.Errorf("producers -o json: %+v", pjs)
	}
	runErr(t, addr, "UNKNOWN_TOPIC_OR_PARTITION", "producers", "nope")
	runErr(t, addr, "topic orders has no partition 9 (it has 3)", "producers", "orders", "-p", "9")

	// Commit: the ID is listed CompleteCommit (once the markers are
	// written: EndTxn answers at PrepareCommit), with no partition left
	// and no transaction open in the partitions.
	if err := cl.EndTransaction(ctx, kgo.TryCommit); err != nil {
		t.Fatal(err)
	}
	committed := fmt.Sprintf("TRANSACTIONAL-ID PRODUCER-ID STATE\napp-txn %d CompleteCommit", pid)
	for out := ""; collapse(out) != committed; {
		if ctx.Err() != nil {
			t.Fatalf("list after commit:\n%s\nwant:\n%s", out, committed)
		}
		time.Sleep(10 * time.Millisecond)
		out = run(t, addr, "list").Stdout
	}
	if out := run(t, addr, "list", "--state", "ongoing").Stdout; strings.Contains(out, "app-txn") {
		t.Errorf("list --state ongoing after commit:\n%s", out)
	}
	out = run(t, addr, "describe", "app-txn").Stdout
	for _, want := range []string{"STATE             CompleteCommit\n", "PARTITIONS        0\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("describe after commit: missing %q in\n%s", want, out)
		}
	}
	out = run(t, addr, "producers", "orders").Stdout
	for _, p := range []string{"0", "1"} {
		if got := fields(out, p, fmt.Sprint(pid)); !strings.HasSuffix(got, " -") {
			t.Errorf("producers orders/%s after commit: %q, want no open transaction", p, got)
		}
	}

	// An aborted transaction ends CompleteAbort.
	if err := cl.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "orders", Partition: 2, Value: []byte("d")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	if out := run(t, addr, "producers", "orders", "-p", "2").Stdout; !strings.HasSuffix(fields(out, "2", fmt.Sprint(pid)), " 0") {
		t.Errorf("producers orders/2 in the second transaction:\n%s", out)
	}
	if err := cl.EndTransaction(ctx, kgo.TryAbort); err != nil {
		t.Fatal(err)
	}
	aborted := fmt.Sprintf("TRANSACTIONAL-ID PRODUCER-ID STATE\napp-txn %d CompleteAbort", pid)
	for out := ""; collapse(out) != aborted; {
		if ctx.Err() != nil {
			t.Fatalf("list after abort:\n%s\nwant:\n%s", out, aborted)
		}
		time.Sleep(10 * time.Millisecond)
		out = run(t, addr, "list").Stdout
	}
}
