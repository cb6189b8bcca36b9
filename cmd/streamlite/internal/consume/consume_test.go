package consume_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/streamlite/streamlite/cmd/streamlite/internal/clitest"
	"github.com/streamlite/streamlite/cmd/streamlite/internal/consume"
	"github.com/streamlite/streamlite/cmd/streamlite/internal/produce"
	"github.com/streamlite/streamlite/cmd/streamlite/internal/topic"
)

// lines returns "key-i:value-i" for i in [from, to), one per line.
func lines(from, to int) string {
	var b strings.Builder
	for i := from; i < to; i++ {
		fmt.Fprintf(&b, "key-%d:value-%d\n", i, i)
	}
	return b.String()
}

func TestProduceConsumeFormat(t *testing.T) {
	_, addr := clitest.Cluster(t)
	r := clitest.MustRun(t, produce.NewCommand(), lines(0, 100),
		"t", "-b", addr, "-k", ":", "-H", "a=1", "-H", "b=x=y", "-p", "0")
	if want := "produced 100 records to t (partition 0: 100)\n"; r.Stderr != want {
		t.Fatalf("produce summary: got %q, want %q", r.Stderr, want)
	}

	r = clitest.MustRun(t, consume.NewCommand(), "", "t", "-b", addr, "-e", "-f", `%t %p %o %k=%v [%h] %K %S\n`)
	var want strings.Builder
	for i := range 100 {
		k, v := fmt.Sprintf("key-%d", i), fmt.Sprintf("value-%d", i)
		fmt.Fprintf(&want, "t 0 %d %s=%s [a=1,b=x=y] %d %d\n", i, k, v, len(k), len(v))
	}
	if r.Stdout != want.String() {
		t.Fatalf("consume output:\n%s\nwant:\n%s", r.Stdout, want.String())
	}

	// The last 5, and a count limit.
	r = clitest.MustRun(t, consume.NewCommand(), "", "t", "-b", addr, "-o", "-5", "-e", "-f", `%o:%v\n`)
	if want := "95:value-95\n96:value-96\n97:value-97\n98:value-98\n99:value-99\n"; r.Stdout != want {
		t.Fatalf("-o -5: got %q, want %q", r.Stdout, want)
	}
	r = clitest.MustRun(t, consume.NewCommand(), "", "t", "-b", addr, "-o", "10", "-c", "3", "-f", `%o\t%k\n`)
	if want := "10\tkey-10\n11\tkey-11\n12\tkey-12\n"; r.Stdout != want {
		t.Fatalf("-o 10 -c 3: got %q, want %q", r.Stdout, want)
	}
	// Nothing after the end: -o end -e returns at once.
	r = clitest.MustRun(t, consume.NewCommand(), "", "t", "-b", addr, "-o", "end", "-e")
	if r.Stdout != "" {
		t.Fatalf("-o end -e printed %q", r.Stdout)
	}
}

func TestConsumeTimestamp(t *testing.T) {
	_, addr := clitest.Cluster(t)
	clitest.MustRun(t, produce.NewCommand(), lines(0, 5), "ts", "-b", addr, "-k", ":")
	// Records are stamped in milliseconds when produced: wait until the
	// clock has moved past every stamp of the first batch.
	time.Sleep(3 * time.Millisecond)
	at := time.Now().UnixMilli()
	time.Sleep(2 * time.Millisecond)
	clitest.MustRun(t, produce.NewCommand(), lines(5, 8), "ts", "-b", addr, "-k", ":")

	r := clitest.MustRun(t, consume.NewCommand(), "", "ts", "-b", addr, "-e", "-o", fmt.Sprintf("@%d", at), "-f", `%k\n`)
	if want := "key-5\nkey-6\nkey-7\n"; r.Stdout != want {
		t.Fatalf("-o @%d: got %q, want %q", at, r.Stdout, want)
	}
	r = clitest.MustRun(t, consume.NewCommand(), "", "ts", "-b", addr, "-e", "-o", fmt.Sprintf("@%d", time.Now().Add(time.Hour).UnixMilli()))
	if r.Stdout != "" {
		t.Fatalf("-o @future printed %q", r.Stdout)
	}
}

func TestConsumeJSON(t *testing.T) {
	_, addr := clitest.Cluster(t)
	in := "k1|{\"n\": 1, \"s\": \"<a&b>\"}\nplain <text>\n"
	clitest.MustRun(t, produce.NewCommand(), in, "j", "-b", addr, "-k", "|", "-H", "h=v")
	r := clitest.MustRun(t, consume.NewCommand(), "", "j", "-b", addr, "-e")
	// Timestamps vary: blank them out.
	got := blankTimestamps(r.Stdout)
	want := `{
  "topic": "j",
  "partition": 0,
  "offset": 0,
  "timestamp": T,
  "key": "k1",
  "value": {
    "n": 1,
    "s": "<a&b>"
  },
  "headers": [
    {
      "key": "h",
      "value": "v"
    }
  ]
}
{
  "topic": "j",
  "partition": 0,
  "offset": 1,
  "timestamp": T,
  "key": null,
  "value": "plain <text>",
  "headers": [
    {
      "key": "h",
      "value": "v"
    }
  ]
}
`
	if got != want {
		t.Fatalf("JSON output:\n%s\nwant:\n%s", got, want)
	}
}

func blankTimestamps(s string) string {
	ls := strings.Split(s, "\n")
	for i, l := range ls {
		if strings.HasPrefix(l, `  "timestamp": `) {
			ls[i] = `  "timestamp": T,`
		}
	}
	return strings.Join(ls, "\n")
}

func TestConsumePartitions(t *testing.T) {
	_, addr := clitest.Cluster(t)
	clitest.MustRun(t, topic.NewCommand(), "", "create", "p3", "-p", "3", "-b", addr)
	var in strings.Builder
	for i := range 30 {
		fmt.Fprintf(&in, "%d\n", i)
	}
	for p := range 3 {
		// 30 records to each partition, so that each has offsets 0..29.
		clitest.MustRun(t, produce.NewCommand(), in.String(), "p3", "-b", addr, "-p", fmt.Sprint(p))
	}
	r := clitest.MustRun(t, consume.NewCommand(), "", "p3", "-b", addr, "-e", "-f", `%p\n`)
	counts := map[string]int{}
	for _, l := range strings.Fields(r.Stdout) {
		counts[l]++
	}
	if counts["0"] != 30 || counts["1"] != 30 || counts["2"] != 30 || len(counts) != 3 {
		t.Fatalf("records per partition: %v", counts)
	}
	r = clitest.MustRun(t, consume.NewCommand(), "", "p3", "-b", addr, "-e", "-p", "1,2", "-o", "-1", "-f", `%p:%o:%v\n`)
	got := strings.Fields(r.Stdout)
	if len(got) != 2 || !(got[0] == "1:29:29" && got[1] == "2:29:29" || got[0] == "2:29:29" && got[1] == "1:29:29") {
		t.Fatalf("-p 1,2 -o -1: got %q", r.Stdout)
	}
}

func TestConsumeErrors(t *testing.T) {
	_, addr := clitest.Cluster(t)
	clitest.MustRun(t, produce.NewCommand(), "x\n", "e", "-b", addr)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"missing", "-e"}, "UNKNOWN_TOPIC_OR_PARTITION"},
		{[]string{"e", "-p", "7"}, "has no partition 7"},
		{[]string{"e", "-o", "yesterday"}, "invalid offset"},
		{[]string{"e", "-f", "%x"}, "unknown token %x"},
	} {
		r := clitest.Run(t, consume.NewCommand(), "", append(tc.args, "-b", addr)...)
		if r.Err == nil || !strings.Contains(r.Err.Error(), tc.want) {
			t.Errorf("consume %v: got error %v, want one containing %q", tc.args, r.Err, tc.want)
		}
	}
}
