package meta_test

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamlite/streamlite/cmd/streamlite/internal/clitest"
	"github.com/streamlite/streamlite/cmd/streamlite/internal/meta"
	"github.com/streamlite/streamlite/engine/enginetest"
)

// lineRE is one line of `meta log`: INDEX  TYPE  SUMMARY.
var lineRE = regexp.MustCompile(`^(\d+) +(\S+) +(.+)$`)

// logLine is a parsed line of `meta log`.
type logLine struct {
	index   uint64
	typ     string
	summary string
}

func parseLog(t *testing.T, out string) []logLine {
	t.Helper()
	var ls []logLine
	for _, l := range lines(out) {
		m := lineRE.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("not a meta log line: %q in\n%s", l, out)
		}
		i, _ := strconv.ParseUint(m[1], 10, 64)
		ls = append(ls, logLine{i, m[2], m[3]})
	}
	return ls
}

// TestEndToEnd drives a real broker through the Kafka admin API and reads
// the changes back from __cluster_metadata, then snapshots and describes
// its metadata log through the admin listener.
func TestEndToEnd(t *testing.T) {
	b := enginetest.New(t, enginetest.Durable())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	adm := b.Admin()
	retention, maxBytes, five := "1000", "2000", "5"
	check := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	resp, err := adm.CreateTopic(ctx, 3, 1, map[string]*string{"retention.ms": &retention, "max.message.bytes": &maxBytes}, "orders")
	if err == nil {
		err = resp.Err
	}
	check("creating orders", err)
	cps, err := adm.CreatePartitions(ctx, 3, "orders")
	if err == nil {
		err = cps.Error()
	}
	check("adding partitions", err)
	acs, err := adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{
		{Op: kadm.SetConfig, Name: "retention.ms", Value: &five},
		{Op: kadm.DeleteConfig, Name: "max.message.bytes"},
	}, "orders")
	if err == nil {
		_, err = acs.On("orders", nil)
	}
	check("altering configs", err)
	dts, err := adm.DeleteTopics(ctx, "orders")
	if err == nil {
		err = dts.Error()
	}
	check("deleting orders", err)
	// An idempotent producer asks for a producer id.
	cl := b.Client(kgo.DefaultProduceTopic("events"), kgo.AllowAutoTopicCreation())
	check("producing", cl.ProduceSync(ctx, &kgo.Record{Value: []byte("x")}).FirstErr())

	addr := b.Addr()
	ls := parseLog(t, clitest.MustRun(t, meta.NewCommand(), "", "log", "-b", addr).Stdout)
	var orders []string
	for i, l := range ls {
		if i > 0 && l.index <= ls[i-1].index {
			t.Errorf("index %d after %d", l.index, ls[i-1].index)
		}
		if strings.HasPrefix(l.summary, "topic orders ") {
			orders = append(orders, l.typ+" "+l.summary)
		}
	}
	want := []string{
		"TopicCreated topic orders created (3 partitions, max.message.bytes=2000, retention.ms=1000)",
		"PartitionsAdded topic orders grown to 6 partitions",
		"ConfigChanged topic orders config set retention.ms=5 deleted max.message.bytes",
		"TopicDeleted topic orders deleted",
	}
	if strings.Join(orders, "\n") != strings.Join(want, "\n") {
		t.Errorf("changes of orders:\n%s\nwant:\n%s", strings.Join(orders, "\n"), strings.Join(want, "\n"))
	}
	if !hasLine(ls, "TopicCreated", "topic events created (1 partition, streamlite.auto.created=true)") {
		t.Errorf("no auto-created events topic in %v", ls)
	}
	if !hasType(ls, "ProducerIDBlock") {
		t.Errorf("no ProducerIDBlock after an idempotent produce in %v", ls)
	}

	// -o json: the same records, each a metadata record as JSON.
	jsonOut := clitest.MustRun(t, meta.NewCommand(), "", "log", "-o", "json", "-b", addr).Stdout
	jl := lines(jsonOut)
	if len(jl) != len(ls) {
		t.Fatalf("-o json: %d lines, text: %d", len(jl), len(ls))
	}
	for i, l := range jl {
		var v struct {
			Index  uint64          `json:"index"`
			Type   string          `json:"type"`
			Record json.RawMessage `json:"record"`
		}
		if err := json.Unmarshal([]byte(l), &v); err != nil || v.Index != ls[i].index || v.Type != ls[i].typ || len(v.Record) == 0 {
			t.Errorf("-o json line %d: %s (%v), text line %+v", i, l, err, ls[i])
		}
	}

	// Snapshot, then describe: the snapshot covers the whole log.
	adminAddr := b.Engine().AdminAddr()
	last := ls[len(ls)-1].index
	out := clitest.MustRun(t, meta.NewCommand(), "", "snapshot", "--admin-addr", adminAddr).Stdout
	var snapIndex uint64
	if _, err := fmt.Sscanf(out, "snapshot at index %d\n", &snapIndex); err != nil || snapIndex < last {
		t.Fatalf("snapshot: %q (%v), want an index of at least %d", out, err, last)
	}
	desc := clitest.MustRun(t, meta.NewCommand(), "", "describe", "--admin-addr", adminAddr, "-o", "json").Stdout
	var stats map[string]any
	if err := json.Unmarshal([]byte(desc), &stats); err != nil {
		t.Fatalf("describe -o json: %q: %v", desc, err)
	}
	if got := number(stats, "SnapshotIndex", "snapshotIndex", "snapshot_index"); got != float64(snapIndex) {
		t.Errorf("describe after snapshot at %d: snapshot index %v in %s", snapIndex, got, desc)
	}
	text := clitest.MustRun(t, meta.NewCommand(), "", "describe", "--admin-addr", adminAddr).Stdout
	if !regexp.MustCompile(`(?m)^\S*[Ss]napshot_?[Ii]ndex +` + strconv.FormatUint(snapIndex, 10) + `$`).MatchString(text) {
		t.Errorf("describe text has no snapshot index %d:\n%s", snapIndex, text)
	}

	// History survives the snapshot and a restart: the topic keeps it.
	b.Restart()
	after := parseLog(t, clitest.MustRun(t, meta.NewCommand(), "", "log", "-b", addr).Stdout)
	if len(after) < len(ls) || after[len(ls)-1] != ls[len(ls)-1] {
		t.Errorf("after snapshot and restart: %d lines (was %d)", len(after), len(ls))
	}

	// --follow shows a change made while it runs.
	fout, stop := follow(t, "-b", addr)
	waitFor(t, fout, len(after))
	resp, err = adm.CreateTopic(ctx, 2, 1, nil, "late")
	if err == nil {
		err = resp.Err
	}
	check("creating late", err)
	got := waitFor(t, fout, len(after)+1)
	if !strings.HasSuffix(got[len(after)], "TopicCreated     topic late created (2 partitions)") {
		t.Errorf("followed: %q", got[len(after):])
	}
	if err := stop(); err != nil {
		t.Fatalf("stopping --follow: %v", err)
	}
}

func hasLine(ls []logLine, typ, summary string) bool {
	for _, l := range ls {
		if l.typ == typ && l.summary == summary {
			return true
		}
	}
	return false
}

func hasType(ls []logLine, typ string) bool {
	for _, l := range ls {
		if l.typ == typ {
			return true
		}
	}
	return false
}

// number returns the first of keys present in m as a number, or -1.
func number(m map[string]any, keys ...string) float64 {
	for _, k := range keys {
		if v, ok := m[k].(float64); ok {
			return v
		}
	}
	return -1
}
