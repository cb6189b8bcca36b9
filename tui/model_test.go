package tui

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"github.com/streamlite/streamlite/tui/cluster"
)

// stackNames is the names of the screens on the stack, bottom first.
func (h *harness) stackNames() []string {
	var out []string
	for _, s := range h.m.stack {
		out = append(out, s.name())
	}
	return out
}

func (h *harness) wantStack(want ...string) {
	h.t.Helper()
	if got := h.stackNames(); !slices.Equal(got, want) {
		h.t.Fatalf("stack %v, want %v; screen:\n%s", got, want, h.m.View())
	}
}

func (h *harness) wantShows(s string) {
	h.t.Helper()
	if v := h.m.View(); !strings.Contains(v, s) {
		h.t.Fatalf("screen does not show %q:\n%s", s, v)
	}
}

func (h *harness) wantHides(s string) {
	h.t.Helper()
	if v := h.m.View(); strings.Contains(v, s) {
		h.t.Fatalf("screen shows %q:\n%s", s, v)
	}
}

// records is the top screen as a records screen.
func (h *harness) records() *recordsScreen {
	h.t.Helper()
	s, ok := h.m.top().(*recordsScreen)
	if !ok {
		h.t.Fatalf("top screen is %s, not records", h.m.top().name())
	}
	return s
}

func TestNavigationStack(t *testing.T) {
	f := newFakeSource()
	h := newHarness(t, f, Options{})
	h.wantStack("topics")
	h.wantShows("orders")
	h.wantHides("__consumer_offsets") // internal topics hidden until i
	h.keys("i")
	h.wantShows("__consumer_offsets")
	h.keys("i", "j", "enter") // clicks, orders, payments: j selects orders
	h.wantStack("topics", "topic")
	h.wantShows("max.message.bytes = 2097152") // a config set on the topic
	h.wantHides("retention.ms =")              // a default one is not shown
	h.keys("b")
	h.wantStack("topics", "topic", "records")
	r := f.reader(0)
	if r == nil || r.topic != "orders" || r.start.Kind != cluster.FromBeginning {
		t.Fatalf("reader %+v, want orders from the beginning", r)
	}
	r.feed(3)
	h.fire()
	h.keys("j", "enter")
	h.wantStack("topics", "topic", "records", "record")
	h.wantShows("k1 (text)")
	h.keys("esc")
	h.wantStack("topics", "topic", "records")
	h.keys("q") // q goes back too
	h.wantStack("topics", "topic")
	h.run(h.m.top().stop()) // let the records screen's close command run (no-op for topic)
	if !r.isClosed() {
		t.Fatal("the reader is still open after leaving its records screen")
	}
	h.keys("esc", "esc")
	h.wantStack("topics")
	if h.quit {
		t.Fatal("esc at the root quit")
	}
	h.keys("q")
	if !h.quit {
		t.Fatal("q at the root did not quit")
	}
}

func TestCommandLine(t *testing.T) {
	f := newFakeSource()
	h := newHarness(t, f, Options{})
	h.command("groups")
	h.wantStack("topics", "groups")
	h.wantShows("billing")
	h.command("group billing")
	h.wantStack("topics", "groups", "group")
	h.keys("esc")
	h.wantStack("topics", "groups")
	h.command("gr billing") // a unique prefix works
	h.wantStack("topics", "groups", "group")
	h.command("top orders")
	h.wantStack("topics", "topic")
	h.command("records orders")
	h.wantStack("topics", "topic", "records")
	if r := f.reader(0); r == nil || r.start.Kind != cluster.FromEnd {
		t.Fatalf("reader %+v, want one from the end", r)
	}
	h.command("topics")
	h.wantStack("topics")
	if !f.reader(0).isClosed() {
		t.Fatal(":topics left the records screen's reader open")
	}

	// Completion: tab extends to the only match, then cycles.
	h.keys(":")
	h.typeText("sch")
	h.keys("tab")
	if got := h.m.cmd.in.Value(); got != "schemas" {
		t.Fatalf("completion of sch: %q", got)
	}
	h.keys("esc")
	h.keys(":")
	h.typeText("topic o")
	h.keys("tab")
	if got := h.m.cmd.in.Value(); got != "topic orders" {
		t.Fatalf("completion of topic o: %q", got)
	}
	h.keys("enter")
	h.wantStack("topics", "topic")

	h.command("nope")
	h.wantShows(`unknown command "nope"`)
	h.wantStack("topics", "topic")
	h.command("records")
	h.wantShows(`unknown command "records"`) // records needs a topic
	h.command("q")
	if !h.quit {
		t.Fatal(":q did not quit")
	}
}

// TestSeveralRunesInOneKey: a terminal read can carry several characters (tmux send-keys,
// fast typing); they act as separate keys.
func TestSeveralRunesInOneKey(t *testing.T) {
	h := newHarness(t, newFakeSource(), Options{})
	h.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(":groups")})
	h.keys("enter")
	h.wantStack("topics", "groups")
}

func TestRecordsFilter(t *testing.T) {
	f := newFakeSource()
	h := newHarness(t, f, Options{})
	h.command("records orders")
	f.reader(0).feed(10)
	h.fire()
	h.wantShows("10 kept")
	h.keys("/")
	h.typeText("bogus")
	h.keys("enter")
	h.wantShows("filter: column 1: want key=TEXT")
	if h.records().input == nil {
		t.Fatal("a bad filter closed the input")
	}
	h.wantShows("^") // the caret under the column
	for range "bogus" {
		h.keys("backspace")
	}
	h.typeText("key=k3")
	h.keys("enter")
	h.wantShows("1 of 10 kept")
	h.wantShows("filter: key=k3")
	h.wantHides("column 1")
	// New records are filtered as they come.
	f.reader(0).feed(10)
	h.fire()
	h.wantShows("1 of 20 kept")
	h.keys("esc") // clears the filter, stays on the screen
	h.wantShows("20 kept")
	h.wantStack("topics", "topic", "records")
}

func TestStaleResultsDropped(t *testing.T) {
	f := newFakeSource()
	h := newHarness(t, f, Options{})
	ts := h.m.top().(*topicsScreen)

	// An answer to an older request of the same screen is dropped.
	old := ts.l.seq
	h.fire() // the 2 s refresh: a new request, answered
	if ts.l.seq == old {
		t.Fatal("the refresh did not send a request")
	}
	h.send(reply{to: ts.id(), kind: "topics", seq: old, body: loaded{v: []cluster.Topic{{Name: "stale"}}}})
	h.wantHides("stale")

	// An answer for a screen that is gone is dropped, and a reader it carries is closed.
	h.command("topic orders")
	_, openCmd := h.m.Update(keyMsg("r")) // opens a records screen; its open call not run yet
	h.keys("esc")                         // leave before the answer
	h.wantStack("topics", "topic")
	h.run(openCmd)
	r := f.reader(0)
	if r == nil || !r.isClosed() {
		t.Fatal("the reader opened for a screen already left was not closed")
	}
	h.wantStack("topics", "topic")
	h.send(reply{to: 999, kind: "topic", seq: 1, body: loaded{}})
}

func TestRingBufferBound(t *testing.T) {
	f := newFakeSource()
	h := newHarness(t, f, Options{MaxRecords: 100})
	h.command("records orders")
	for range 4 {
		f.reader(0).feed(250) // two polls of at most 500... of 250 each
		h.fire()
	}
	s := h.records()
	if s.ring.len() != 100 || s.dropped != 900 {
		t.Fatalf("kept %d, dropped %d; want 100 and 900", s.ring.len(), s.dropped)
	}
	if first := s.ring.at(0).Offset; first != 900 {
		t.Fatalf("oldest kept offset %d, want 900", first)
	}
	h.wantShows("900 older dropped (keeps 100)")
	// One poll never asks for more than 500.
	f.reader(0).feed(1200)
	h.fire()
	if s.ring.total != 1500 {
		t.Fatalf("one poll took %d records, want 500", s.ring.total-1000)
	}
	h.keys("g") // the top is the oldest kept
	h.wantShows("> 0    1400")
}

func TestFollowMode(t *testing.T) {
	f := newFakeSource()
	h := newHarness(t, f, Options{})
	h.command("records orders")
	s := h.records()
	if !s.follow {
		t.Fatal("records from the end do not follow")
	}

	f.reader(0).feed(30)
	h.fire() // 30 records
	h.fire() // an empty poll: caught up
	h.wantShows("following · 0 new")
	h.wantShows("> 0      29")
	f.reader(0).feed(3)
	h.fire()
	h.wantShows("following · 3 new")
	h.wantShows("> 0      32")

	h.keys("k") // moving up stops following
	if s.follow {
		t.Fatal("k did not stop following")
	}
	h.wantHides("following")
	f.reader(0).feed(2)
	h.fire()
	h.wantShows("> 0      31") // the selection stays on its record

	h.keys("f")
	h.wantShows("following · 0 new")
	h.wantShows("> 0      34")

	// On an empty topic, five empty polls (a second) are the backlog: what comes after is new.
	h.command("records payments")
	for range 5 {
		h.fire()
	}
	f.reader(1).feed(2)
	h.fire()
	h.wantShows("following · 2 new")
}

// TestOnePollInFlight: a records screen never has two polls out; the next is armed only
// by the answer of the last.
func TestOnePollInFlight(t *testing.T) {
	f := newFakeSource()
	h := newHarness(t, f, Options{})
	h.command("records orders")
	s := h.records()
	var polls []tea.Msg
	for _, tm := range h.timers {
		if tk, ok := tm.msg.(tick); ok && tk.kind == "poll" {
			polls = append(polls, tk)
		}
	}
	if len(polls) != 1 {
		t.Fatalf("%d poll timers after the first poll, want 1", len(polls))
	}
	// Replay the poll tick: only one of the two starts a poll.
	tk := polls[0]
	h.timers = nil
	_, c1 := h.m.Update(tk)
	_, c2 := h.m.Update(tk)
	if c1 == nil || c2 != nil {
		t.Fatalf("two ticks gave commands %v and %v; want one poll", c1 != nil, c2 != nil)
	}
	if !s.polling {
		t.Fatal("not polling after the tick")
	}
	h.run(c1)
	if s.polling {
		t.Fatal("still polling after the answer")
	}
}

func TestRetryBackoff(t *testing.T) {
	f := newFakeSource()
	f.setErr(errBrokerDown)
	h := newHarness(t, f, Options{})
	h.wantShows("broker 127.0.0.1:9092: connection refused — retrying in 1s, r to retry now")
	var delays []time.Duration
	for range 6 {
		delays = append(delays, h.pending()...)
		h.fire()
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second}
	if !slices.Equal(delays, want) {
		t.Fatalf("retry delays %v, want %v", delays, want)
	}
	// r retries at once, and the timer it replaces does nothing.
	before := f.count("Topics")
	h.keys("r")
	if f.count("Topics") != before+1 {
		t.Fatal("r did not retry")
	}
	h.fire()
	h.fire()
	// The broker is back: the error goes, the refresh is every 2 s again.
	f.setErr(nil)
	h.fire()
	h.wantHides("connection refused")
	h.wantShows("orders")
	if p := h.pending(); !slices.Equal(p, []time.Duration{2 * time.Second}) {
		t.Fatalf("timers %v after recovery, want one 2s refresh", p)
	}
	if n := f.count("Topics"); n > before+6 {
		t.Fatalf("%d topic calls: retries piled up", n-before)
	}
}

func TestRefreshOnlyWhileVisible(t *testing.T) {
	f := newFakeSource()
	h := newHarness(t, f, Options{})
	h.command("topic orders") // topics is under the detail screen
	n := f.count("Topics")
	for range 3 {
		h.fire()
	}
	if f.count("Topics") != n {
		t.Fatal("the topics screen refreshed while hidden")
	}
	if f.count("Topic") < 3 {
		t.Fatal("the visible detail screen did not refresh")
	}
	h.keys("esc")
	if f.count("Topics") != n+1 {
		t.Fatal("the topics screen did not refresh when shown again")
	}
}

func TestProduceForm(t *testing.T) {
	f := newFakeSource()
	h := newHarness(t, f, Options{})
	h.command("topic orders")
	h.keys("p")
	h.typeText("2")
	h.keys("tab")
	h.typeText("user-1")
	h.keys("tab")
	h.typeText("a=1, b=2")
	h.keys("tab")
	h.typeText("line one")
	h.keys("enter")
	h.typeText("q line two") // q is typed, not back
	h.keys("ctrl+s")
	h.wantStack("topics", "topic")
	h.wantShows("produced to orders partition 2 at offset 0")
	if len(f.produced) != 1 {
		t.Fatalf("%d records produced", len(f.produced))
	}
	p := f.produced[0]
	if p.Partition != 2 || string(p.Key) != "user-1" || string(p.Value) != "line one\nq line two" ||
		len(p.Headers) != 2 || p.Headers[1].Key != "b" || string(p.Headers[1].Value) != "2" {
		t.Fatalf("produced %+v", p)
	}

	// Blank partition and key: partitioner's choice, null key; a bad header is refused.
	h.keys("p", "tab", "tab")
	h.typeText("novalue")
	h.keys("ctrl+s")
	h.wantShows(`header "novalue": want key=value`)
	h.keys("ctrl+w", "ctrl+s")
	h.wantStack("topics", "topic")
	if p := f.produced[1]; p.Partition != -1 || p.Key != nil {
		t.Fatalf("produced %+v, want partition -1 and a null key", p)
	}
	h.keys("p", "esc")
	h.wantStack("topics", "topic")
}

func TestCreateAndDeleteTopic(t *testing.T) {
	f := newFakeSource()
	h := newHarness(t, f, Options{})
	h.keys("n")
	h.typeText("audit")
	h.keys("tab", "backspace")
	h.typeText("4")
	h.keys("tab", "tab")
	h.typeText("retention.ms=1000")
	h.keys("enter")
	h.wantStack("topics")
	h.wantShows("created topic audit")
	if want := "audit/4/-1/map[retention.ms:1000]"; len(f.created) != 1 || f.created[0] != want {
		t.Fatalf("created %v, want %s", f.created, want)
	}
	h.wantShows("audit") // the list reloaded

	h.command("topic orders")
	h.keys("ctrl+d")
	h.typeText("order")
	h.keys("enter")
	h.wantShows(`not "orders": nothing deleted`)
	if len(f.deleted) != 0 {
		t.Fatal("deleted on a wrong name")
	}
	h.typeText("s")
	h.keys("enter")
	h.wantStack("topics")
	h.wantShows("deleted topic orders")
	if !slices.Equal(f.deleted, []string{"orders"}) {
		t.Fatalf("deleted %v", f.deleted)
	}
}

func TestResetOffsets(t *testing.T) {
	f := newFakeSource()
	h := newHarness(t, f, Options{})
	h.command("group billing")
	h.keys("R", "o")
	h.typeText("x")
	h.keys("enter")
	h.wantShows(`offset "x": want a number >= 0`)
	h.keys("backspace")
	h.typeText("7")
	h.keys("enter")
	h.wantShows("dry run: 2 partitions to offset 7")
	h.wantShows("8  ->   7")
	if len(f.resets) != 0 {
		t.Fatal("the dry run wrote offsets")
	}
	h.keys("y")
	h.wantStack("topics", "groups", "group")
	h.wantShows("reset 2 partitions of group billing to offset 7")
	if len(f.resets) != 1 || f.resets[0][1].To != 7 {
		t.Fatalf("resets %v", f.resets)
	}
	// Time targets take RFC 3339 or a relative time.
	if got, err := parseTime("-5m", fixedNow); err != nil || !got.Equal(fixedNow.Add(-5*time.Minute)) {
		t.Fatalf("-5m: %v %v", got, err)
	}
	if _, err := parseTime("yesterday", fixedNow); err == nil {
		t.Fatal("yesterday parsed")
	}
}

func TestRecordCopyAndWrite(t *testing.T) {
	f := newFakeSource()
	var clip bytes.Buffer
	dir := t.TempDir()
	h := newHarness(t, f, Options{Clipboard: &clip, Dir: dir})
	h.command("records orders")
	f.reader(0).feed(2)
	h.fire()
	h.keys("enter")
	h.keys("c")
	if !strings.HasPrefix(clip.String(), "\x1b]52;c;") {
		t.Fatalf("clipboard got %q, want an OSC 52 sequence", clip.String())
	}
	h.wantShows("copied the record to the clipboard")
	h.keys("w")
	name := "record-orders-0-1.json"
	h.wantShows("wrote " + filepath.Join(dir, name))
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"topic":"orders","partition":0,"offset":1,"timestamp":"2030-05-01T12:00:01Z","key":"k1","value":{"n":1},"key_format":"text","value_format":"json"}` + "\n"
	if string(b) != want {
		t.Fatalf("file:\n%s\nwant:\n%s", b, want)
	}
}

func TestNoRegistryNoSQL(t *testing.T) {
	f := newFakeSource()
	f.registry, f.sql = false, false
	h := newHarness(t, f, Options{})
	h.command("schemas")
	h.wantShows("no schema registry (--registry)")
	h.command("queries")
	h.wantShows("no SQL server (--sql-server)")
	if f.count("Subjects")+f.count("Queries") != 0 {
		t.Fatal("called a registry or SQL server that is not configured")
	}
	// One that does not answer says so on its screen.
	f.registry = true
	f.setErr(errBrokerDown)
	h.command("schemas")
	h.wantShows("schema registry not reachable")
}

// TestSizes draws every screen at several sizes: never a line past the width, always
// exactly the height.
func TestSizes(t *testing.T) {
	f := newFakeSource()
	h := newHarness(t, f, Options{})
	sizes := [][2]int{{80, 24}, {120, 40}, {40, 10}, {20, 5}, {10, 3}, {200, 2}}
	check := func(what string) {
		for _, sz := range sizes {
			h.send(tea.WindowSizeMsg{Width: sz[0], Height: sz[1]})
			v := h.m.View()
			lines := strings.Split(v, "\n")
			if len(lines) != sz[1] {
				t.Errorf("%s at %dx%d: %d lines", what, sz[0], sz[1], len(lines))
			}
			for _, l := range lines {
				if ansi.StringWidth(l) > sz[0] {
					t.Errorf("%s at %dx%d: line %q too wide", what, sz[0], sz[1], l)
				}
			}
		}
		h.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	}
	check("topics")
	h.keys("?")
	check("help")
	h.keys("esc")
	h.command("topic orders")
	check("topic")
	h.keys("b")
	f.reader(0).feed(50)
	h.fire()
	check("records")
	h.keys("enter")
	check("record")
	h.keys("esc", "esc", "p")
	check("produce")
	h.keys("esc")
	h.command("group billing")
	check("group")
	h.keys("R")
	check("reset")
	h.keys(":")
	check("command line")
}

func TestColourKeepsMarker(t *testing.T) {
	r := asciiRenderer()
	r.SetColorProfile(termenv.ANSI256)
	h := newHarness(t, newFakeSource(), Options{Renderer: r})
	v := h.m.View()
	if !strings.Contains(v, "\x1b[") {
		t.Fatal("no styles with a colour profile")
	}
	if !strings.Contains(ansi.Strip(v), "> A  clicks") {
		t.Fatalf("the selection marker is missing in colour:\n%s", ansi.Strip(v))
	}
}

func TestStartPrompts(t *testing.T) {
	f := newFakeSource()
	h := newHarness(t, f, Options{})
	h.command("topic orders")
	h.keys("o")
	h.typeText("abc")
	h.keys("enter")
	h.wantShows(`offset "abc": want a number >= 0`)
	h.wantStack("topics", "topic", "records") // the prompt is named after what it opens
	h.keys("ctrl+w")
	h.typeText("5")
	h.keys("enter")
	h.wantShows("from offset 5")
	if r := f.reader(0); r.start.Kind != cluster.FromOffset || r.start.Offset != 5 {
		t.Fatalf("reader start %+v", r.start)
	}
	h.keys("esc", "t")
	h.typeText("-5m")
	h.keys("enter")
	if r := f.reader(1); r.start.Kind != cluster.FromTime || !r.start.Time.Equal(fixedNow.Add(-5*time.Minute)) {
		t.Fatalf("reader start %+v", r.start)
	}
	h.wantShows("from 2030-05-01T12:00:00Z")
	h.keys("esc", "t")
	h.typeText("2030-05-01T11:00:00+02:00")
	h.keys("enter")
	if r := f.reader(2); !r.start.Time.Equal(time.Date(2030, 5, 1, 9, 0, 0, 0, time.UTC)) {
		t.Fatalf("reader start %+v", r.start)
	}
}

func TestGroupMembers(t *testing.T) {
	h := newHarness(t, newFakeSource(), Options{})
	h.command("group audit")
	h.wantShows("auditor (m-1)")
	h.wantShows("orders[1,2] payments[0]")
	h.wantShows("Stable · range · 1 member · lag 0")
}

func TestTopicMarks(t *testing.T) {
	for _, c := range []struct {
		t    cluster.Topic
		want string
	}{
		{cluster.Topic{}, ""},
		{cluster.Topic{AutoCreated: true}, "A"},
		{cluster.Topic{Tiered: true}, "T"},
		{cluster.Topic{Internal: true}, "I"},
		{cluster.Topic{AutoCreated: true, Tiered: true}, "AT"},
	} {
		if got := topicMarks(c.t); got != c.want {
			t.Errorf("marks of %+v: %q, want %q", c.t, got, c.want)
		}
	}
}

func TestFormats(t *testing.T) {
	now := fixedNow
	for _, c := range []struct{ got, want string }{
		{formatAge(now, now.Add(-3*time.Second)), "3s"},
		{formatAge(now, now.Add(-5*time.Minute)), "5m"},
		{formatAge(now, now.Add(-2*time.Hour)), "2h"},
		{formatAge(now, now.Add(-4*24*time.Hour)), "4d"},
		{formatAge(now, now.Add(time.Minute)), "0s"},
		{formatAge(now, time.Time{}), "-"},
		{formatBytes(-1), "-"},
		{formatBytes(512), "512B"},
		{formatBytes(4200), "4.1K"},
		{formatBytes(15 << 20), "15M"},
		{formatRetention(-1, -1), "forever"},
		{formatRetention(7*24*3600*1000, 1<<30), "7d/1.0G"},
		{formatRetention(0, -1), "-"},
		{sparkline([]int64{0, 1, 2, 4, 8}), "▁▁▂▄█"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

// TestCloseClosesReaders: Model.Close, run after the program ends, closes the readers of
// the records screens still open, and of those left whose close command never ran.
func TestCloseClosesReaders(t *testing.T) {
	f := newFakeSource()
	h := newHarness(t, f, Options{})
	h.command("records orders")
	_, _ = h.m.Update(keyMsg("esc")) // left, but its close command is dropped (as on quit)
	h.command("records payments")
	h.keys("ctrl+c")
	if !h.quit {
		t.Fatal("ctrl-c did not quit")
	}
	h.m.Close()
	for i := 0; i < 2; i++ {
		if !f.reader(i).isClosed() {
			t.Fatalf("reader %d is still open after Close", i)
		}
	}
}
