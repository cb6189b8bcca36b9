package group_test

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/streamlite/streamlite/cmd/streamlite/internal/clitest"
	"github.com/streamlite/streamlite/cmd/streamlite/internal/group"
)

// base is the timestamp of the first record produced to orders/0; record i
// of that partition is stamped base + i minutes.
var base = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)

// setup starts kfake with topic orders (3 partitions) holding 10, 5 and 0
// records, and returns its address and an admin client.
func setup(t *testing.T) (string, *kadm.Client) {
	t.Helper()
	_, addr := clitest.Cluster(t, kfake.SeedTopics(3, "orders"))
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	adm := kadm.NewClient(cl)
	t.Cleanup(adm.Close)
	var rs []*kgo.Record
	for i := range 10 {
		rs = append(rs, &kgo.Record{Topic: "orders", Partition: 0, Value: []byte("v"), Timestamp: base.Add(time.Duration(i) * time.Minute)})
	}
	for range 5 {
		rs = append(rs, &kgo.Record{Topic: "orders", Partition: 1, Value: []byte("v"), Timestamp: base})
	}
	if err := cl.ProduceSync(context.Background(), rs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	return addr, adm
}

// startConsumer joins group with a kgo group consumer of orders, reads every
// record, commits orders/0 at 4 and orders/1 at 5 (nothing on orders/2), and
// returns the client, still a member. extra adds options (ServerSideBalancer
// for a KIP-848 group).
func startConsumer(t *testing.T, addr, name string, extra ...kgo.Opt) *kgo.Client {
	t.Helper()
	opts := append([]kgo.Opt{
		kgo.SeedBrokers(addr), kgo.ConsumerGroup(name), kgo.ConsumeTopics("orders"),
		kgo.DisableAutoCommit(), kgo.ClientID("lag-test"),
	}, extra...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for n := 0; n < 15; {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("consumed %d of 15 records: %v", n, err)
		}
		n += fs.NumRecords()
	}
	var commitErr error
	cl.CommitOffsetsSync(ctx, map[string]map[int32]kgo.EpochOffset{
		"orders": {0: {Epoch: -1, Offset: 4}, 1: {Epoch: -1, Offset: 5}},
	}, func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
		commitErr = err
		if resp != nil {
			for _, t := range resp.Topics {
				for _, p := range t.Partitions {
					if e := kerr.ErrorForCode(p.ErrorCode); e != nil && commitErr == nil {
						commitErr = e
					}
				}
			}
		}
	})
	if commitErr != nil {
		t.Fatalf("commit: %v", commitErr)
	}
	return cl
}

// run executes `group ARGS... -b addr` and fails the test on error.
func run(t *testing.T, addr string, args ...string) clitest.Result {
	t.Helper()
	return clitest.MustRun(t, group.NewCommand(), "", append(args, "-b", addr)...)
}

// runErr executes `group ARGS... -b addr` and fails the test unless it
// returns an error containing want.
func runErr(t *testing.T, addr, want string, args ...string) clitest.Result {
	t.Helper()
	r := clitest.Run(t, group.NewCommand(), "", append(args, "-b", addr)...)
	if r.Err == nil || !strings.Contains(r.Err.Error(), want) {
		t.Fatalf("%v: got error %v, want one containing %q\nstdout:\n%s", args, r.Err, want, r.Stdout)
	}
	return r
}

var (
	coordinatorRE = regexp.MustCompile(`0 \(127\.0\.0\.1:\d+\)`)
	memberRE      = regexp.MustCompile(`[^\s]*lag-test[^\s]*|/?127\.0\.0\.1(:\d+)?`)
)

// row returns the table line of out whose first two fields are topic and
// partition, with runs of spaces collapsed.
func row(out, topic, partition string) string {
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) > 1 && f[0] == topic && f[1] == partition {
			return strings.Join(f, " ")
		}
	}
	return ""
}

func TestDescribeLag(t *testing.T) {
	addr, adm := setup(t)
	cl := startConsumer(t, addr, "app")

	// Active group: every partition is owned; orders/2 has no commit.
	out := run(t, addr, "describe", "app").Stdout
	for _, want := range []string{"STATE        Stable\n", "TYPE         classic\n", "MEMBERS      1\n", "TOTAL-LAG    6\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("describe: missing %q in\n%s", want, out)
		}
	}
	for p, want := range map[string]string{
		"0": "orders 0 4 10 6 ",
		"1": "orders 1 5 5 0 ",
		"2": "orders 2 - 0 - ",
	} {
		got := row(out, "orders", p)
		if !strings.HasPrefix(got, want) || !strings.Contains(got, "lag-test") {
			t.Errorf("describe orders/%s: got %q, want %q then the member and client id lag-test", p, got, want)
		}
	}

	// The active group refuses delete and reset.
	r := runErr(t, addr, "NON_EMPTY_GROUP", "delete", "app")
	if want := "app: NON_EMPTY_GROUP: "; !strings.HasPrefix(r.Stdout, want) {
		t.Errorf("delete active: stdout %q, want prefix %q", r.Stdout, want)
	}
	runErr(t, addr, "assignments can only be reset if the group 'app' is inactive, but the current state is Stable",
		"reset-offsets", "app", "--all-topics", "--to-earliest", "--execute")

	members := run(t, addr, "describe", "app", "--members").Stdout
	if got := memberRE.ReplaceAllString(members, "X"); !strings.Contains(strings.Join(strings.Fields(got), " "), "app X - X X 3 orders(0,1,2)") {
		t.Errorf("describe --members:\n%s", members)
	}

	cl.Close() // leaves the group: Empty, commits kept

	// Exact output once the group is Empty: rows only where it committed.
	out = coordinatorRE.ReplaceAllString(run(t, addr, "describe", "app").Stdout, "0 (ADDR)")
	want := `GROUP        app
COORDINATOR  0 (ADDR)
STATE        Empty
TYPE         classic
PROTOCOL     consumer
MEMBERS      0
TOTAL-LAG    6

TOPIC   PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG  MEMBER-ID  CLIENT-ID  HOST
orders  0          4               10              6    -          -          -
orders  1          5               5               0    -          -          -
`
	if out != want {
		t.Errorf("describe empty group:\n%s\nwant:\n%s", out, want)
	}

	var js []struct {
		Group      string `json:"group"`
		State      string `json:"state"`
		TotalLag   int64  `json:"total_lag"`
		Partitions []struct {
			Topic     string `json:"topic"`
			Partition int32  `json:"partition"`
			Current   *int64 `json:"current_offset"`
			End       *int64 `json:"log_end_offset"`
			Lag       *int64 `json:"lag"`
		} `json:"partitions"`
	}
	if err := json.Unmarshal([]byte(run(t, addr, "describe", "app", "-o", "json").Stdout), &js); err != nil {
		t.Fatal(err)
	}
	if len(js) != 1 || js[0].State != "Empty" || js[0].TotalLag != 6 || len(js[0].Partitions) != 2 {
		t.Fatalf("json: %+v", js)
	}
	for _, p := range js[0].Partitions {
		// The promise under test: lag = log end offset - committed.
		ends, err := adm.ListEndOffsets(context.Background(), "orders")
		if err != nil {
			t.Fatal(err)
		}
		e, _ := ends.Lookup("orders", p.Partition)
		if p.End == nil || *p.End != e.Offset || p.Current == nil || p.Lag == nil || *p.Lag != e.Offset-*p.Current {
			t.Errorf("json partition %d: %+v, end %d", p.Partition, p, e.Offset)
		}
	}

	// list, with and without a state filter.
	if out, want := run(t, addr, "list").Stdout, "GROUP  STATE  TYPE     MEMBERS\napp    Empty  classic  0\n"; out != want {
		t.Errorf("list:\n%s\nwant:\n%s", out, want)
	}
	if out, want := run(t, addr, "list", "--state", "stable").Stdout, "GROUP  STATE  TYPE  MEMBERS\n"; out != want {
		t.Errorf("list --state stable:\n%s\nwant:\n%s", out, want)
	}
	runErr(t, addr, "unknown group state", "list", "--state", "sleepy")

	// delete, then the group is gone.
	if out := run(t, addr, "delete", "app").Stdout; out != "deleted group app\n" {
		t.Errorf("delete: %q", out)
	}
	runErr(t, addr, "GROUP_ID_NOT_FOUND", "describe", "app")
	runErr(t, addr, "GROUP_ID_NOT_FOUND", "delete", "app")
}

func TestDescribeConsumerProtocol(t *testing.T) {
	addr, _ := setup(t)
	cl := startConsumer(t, addr, "next", kgo.ServerSideBalancer(), kgo.Balancers(kgo.RangeBalancer()))
	defer cl.Close()

	out := run(t, addr, "describe", "next").Stdout
	for _, want := range []string{"TYPE         consumer\n", "MEMBERS      1\n", "TOTAL-LAG    6\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("describe: missing %q in\n%s", want, out)
		}
	}
	if got := row(out, "orders", "0"); !strings.HasPrefix(got, "orders 0 4 10 6 ") || !strings.Contains(got, "lag-test") {
		t.Errorf("describe orders/0: %q", got)
	}
	out = run(t, addr, "list", "--type", "consumer").Stdout
	if got := strings.Join(strings.Fields(out), " "); got != "GROUP STATE TYPE MEMBERS next Stable consumer 1" {
		t.Errorf("list --type consumer: %q", got)
	}
	runErr(t, addr, "NON_EMPTY_GROUP", "delete", "next")
}

// committed returns the group's committed offsets of orders by partition.
func committed(t *testing.T, adm *kadm.Client, name string) map[int32]int64 {
	t.Helper()
	resps, err := adm.FetchOffsets(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int32]int64{}
	resps.Each(func(o kadm.OffsetResponse) {
		if o.Err != nil {
			t.Fatalf("fetch %d: %v", o.Partition, o.Err)
		}
		out[o.Partition] = o.At
	})
	return out
}

func TestResetOffsets(t *testing.T) {
	addr, adm := setup(t)
	startConsumer(t, addr, "app").Close()
	before := map[int32]int64{0: 4, 1: 5}
	check := func(step string, want map[int32]int64) {
		t.Helper()
		got := committed(t, adm, "app")
		if len(got) != len(want) {
			t.Fatalf("%s: committed %v, want %v", step, got, want)
		}
		for p, o := range want {
			if got[p] != o {
				t.Fatalf("%s: committed %v, want %v", step, got, want)
			}
		}
	}
	check("start", before)

	// Dry run: the plan, exactly, and nothing committed.
	r := run(t, addr, "reset-offsets", "app", "--topic", "orders", "--to-earliest", "--dry-run")
	if want := "TOPIC   PARTITION  CURRENT  NEW\norders  0          4        0\norders  1          5        0\norders  2          -        0\n"; r.Stdout != want {
		t.Fatalf("dry run:\n%s\nwant:\n%s", r.Stdout, want)
	}
	if r.Stderr != "" {
		t.Errorf("dry run stderr: %q", r.Stderr)
	}
	check("dry run", before)

	// Neither --dry-run nor --execute: the plan, a note, nothing committed.
	r = run(t, addr, "reset-offsets", "app", "--all-topics", "--to-latest")
	if want := "TOPIC   PARTITION  CURRENT  NEW\norders  0          4        10\norders  1          5        5\n"; r.Stdout != want {
		t.Fatalf("no-execute plan:\n%s\nwant:\n%s", r.Stdout, want)
	}
	if !strings.Contains(r.Stderr, "nothing was executed") {
		t.Errorf("no-execute stderr: %q", r.Stderr)
	}
	check("no execute", before)

	for _, tc := range []struct {
		args []string
		want map[int32]int64
	}{
		{[]string{"--topic", "orders", "--to-earliest"}, map[int32]int64{0: 0, 1: 0, 2: 0}},
		{[]string{"--topic", "orders", "--to-latest"}, map[int32]int64{0: 10, 1: 5, 2: 0}},
		{[]string{"--topic", "orders:0", "--shift-by", "-3"}, map[int32]int64{0: 7, 1: 5, 2: 0}},
		{[]string{"--topic", "orders:0,1", "--shift-by", "-100"}, map[int32]int64{0: 0, 1: 0, 2: 0}}, // clamped to start
		{[]string{"--all-topics", "--shift-by", "100"}, map[int32]int64{0: 10, 1: 5, 2: 0}},          // clamped to end
		{[]string{"--topic", "orders:0", "--to-offset", "2"}, map[int32]int64{0: 2, 1: 5, 2: 0}},
		{[]string{"--topic", "orders:0", "--to-offset", "1000"}, map[int32]int64{0: 10, 1: 5, 2: 0}},
		{[]string{"--topic", "orders:0", "--to-datetime", "2026-11-22T10:03:00Z"}, map[int32]int64{0: 3, 1: 5, 2: 0}},
		{[]string{"--topic", "orders:0", "--to-datetime", "2026-11-22T12:02:30.000+02:00"}, map[int32]int64{0: 3, 1: 5, 2: 0}},
		{[]string{"--topic", "orders:0", "--to-datetime", "2026-11-22T10:02:30.5Z"}, map[int32]int64{0: 3, 1: 5, 2: 0}},
		{[]string{"--topic", "orders:0", "--to-datetime", "2027-01-01T00:00:00Z"}, map[int32]int64{0: 10, 1: 5, 2: 0}}, // after every record: end
		{[]string{"--topic", "orders:0", "--to-datetime", "2020-01-01T00:00:00Z"}, map[int32]int64{0: 0, 1: 5, 2: 0}},
	} {
		args := append([]string{"reset-offsets", "app"}, tc.args...)
		r := run(t, addr, append(args, "--execute")...)
		if !strings.HasPrefix(r.Stdout, "TOPIC   PARTITION  CURRENT  NEW\n") {
			t.Errorf("%v: stdout %q", tc.args, r.Stdout)
		}
		check(strings.Join(tc.args, " "), tc.want)
	}

	// Bad input never commits.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--topic", "orders"}, "give exactly one of --to-earliest"},
		{[]string{"--topic", "orders", "--to-earliest", "--to-latest"}, "(got --to-earliest, --to-latest)"},
		{[]string{"--to-earliest"}, "exactly one of --topic or --all-topics"},
		{[]string{"--topic", "orders", "--all-topics", "--to-earliest"}, "exactly one of --topic or --all-topics"},
		{[]string{"--topic", "orders", "--to-earliest", "--dry-run", "--execute"}, "exclude each other"},
		{[]string{"--topic", "orders:9", "--to-earliest"}, "has no partition 9"},
		{[]string{"--topic", "orders:x", "--to-earliest"}, "is not a number"},
		{[]string{"--topic", "nope", "--to-earliest"}, "UNKNOWN_TOPIC_OR_PARTITION"},
		{[]string{"--topic", "orders", "--to-datetime", "yesterday"}, "invalid --to-datetime"},
	} {
		runErr(t, addr, tc.want, append(append([]string{"reset-offsets", "app"}, tc.args...), "--execute")...)
	}
	check("after bad input", map[int32]int64{0: 0, 1: 5, 2: 0})

	// A group that does not exist yet (Dead) may be given offsets; shifting
	// needs a commit to shift from.
	run(t, addr, "reset-offsets", "fresh", "--topic", "orders:0", "--to-offset", "6", "--execute")
	check2 := committed(t, adm, "fresh")
	if len(check2) != 1 || check2[0] != 6 {
		t.Fatalf("fresh group: committed %v", check2)
	}
	runErr(t, addr, "no committed offset", "reset-offsets", "fresh2", "--topic", "orders:0", "--shift-by", "1", "--execute")
}
