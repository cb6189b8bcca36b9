package tuicmd

// TestLiveTailLoad measures the TUI during a live tail of a busy topic (issue 11, must-show
// 5). It is a measurement, not a timed assertion: it fails only when the TUI dies or the
// screen stops changing, never on the figures. Run it with:
//
//	STREAMLITE_TUI_LOAD=1 go test ./cmd/streamlite/internal/tuicmd -run TestLiveTailLoad -count=1 -v -timeout 10m
//
// Knobs: STREAMLITE_TUI_LOAD_RATE (records/s, default 50000), STREAMLITE_TUI_LOAD_SECONDS
// (default 20), STREAMLITE_TUI_LOAD_CPUPROFILE=FILE (the TUI writes a CPU profile of its
// run there; see trace.go).

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// loadTopic is the topic the load test tails.
const loadTopic = "load"

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat (100 on Linux).
const clockTicks = 100

func TestLiveTailLoad(t *testing.T) {
	if os.Getenv("STREAMLITE_TUI_LOAD") != "1" {
		t.Skip("a measurement of about a minute; set STREAMLITE_TUI_LOAD=1 to run it")
	}
	requireTmux(t)
	rate := envInt(t, "STREAMLITE_TUI_LOAD_RATE", 50000)
	seconds := envInt(t, "STREAMLITE_TUI_LOAD_SECONDS", 20)
	bin := buildStreamlite(t)
	up := startUp(t, bin)

	cl, err := kgo.NewClient(kgo.SeedBrokers(up.kafka), kgo.DefaultProduceTopic(loadTopic))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if _, err := kadm.NewClient(cl).CreateTopic(ctx, 3, 1, nil, loadTopic); err != nil {
		t.Fatal(err)
	}

	tracePath := filepath.Join(t.TempDir(), "trace")
	env := []string{envTrace + "=" + tracePath}
	if p := os.Getenv("STREAMLITE_TUI_LOAD_CPUPROFILE"); p != "" {
		abs, err := filepath.Abs(p)
		if err != nil {
			t.Fatal(err)
		}
		env = append(env, envCPUProfile+"="+abs)
	}
	s := startTUI(t, bin, up, env)
	if out, err := s.tmux("set-option", "-t", "tui", "remain-on-exit", "on"); err != nil {
		t.Fatalf("tmux set-option: %v: %s", err, out)
	}
	pidText, err := s.tmux("list-panes", "-t", "tui", "-F", "#{pane_pid}")
	if err != nil {
		t.Fatalf("tmux list-panes: %v: %s", err, pidText)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(pidText))
	if err != nil {
		t.Fatalf("the pane's pid %q: %v", pidText, err)
	}

	s.waitShows(loadTopic, 30*time.Second)
	s.send(true, ":records "+loadTopic)
	s.send(false, "Enter")
	s.waitShows("following", 10*time.Second)

	mem := startSampler(pid, 200*time.Millisecond)
	defer mem.stop()
	alive := func() {
		t.Helper()
		if mem.died() {
			st, _ := s.tmux("display-message", "-p", "-t", "tui", "#{pane_dead_status}")
			t.Fatalf("the TUI exited (status %s) during the run; the pane:\n%s", strings.TrimSpace(st), s.capture())
		}
	}

	// The floor: key to redraw at idle.
	idleRSS := mem.last()
	idle := runProbes(s, 10, 500*time.Millisecond, nil, alive)

	// The load: a paced producer for the duration, probes every 500 ms meanwhile.
	tuiCPU0, upCPU0, sys0 := cpuTicks(pid), cpuTicks(up.cmd.Process.Pid), systemTicks()
	loadStart := time.Now()
	mem.mark()
	prod := startProducer(ctx, cl, rate, time.Duration(seconds)*time.Second)
	load := runProbes(s, 0, 500*time.Millisecond, prod.done, alive)
	res := prod.wait()
	loadWall := time.Since(loadStart)
	tuiCPU1, upCPU1, sys1 := cpuTicks(pid), cpuTicks(up.cmd.Process.Pid), systemTicks()
	peakRSS, endRSS := mem.peakSinceMark(), mem.last()
	if res.err != nil {
		t.Fatalf("producing: %v", res.err)
	}
	alive()
	if helpShown(s.capture()) { // the last probe opened the help
		s.sendNow(true, "?")
	}
	atEnd := s.waitFor("the records screen", 10*time.Second, recordsShown)
	shownAtEnd, _ := shownCounts(atEnd)

	// How long the TUI takes to show every record produced, if it fell behind.
	catchStart := time.Now()
	shownFinal, screenFinal := shownAtEnd, atEnd
	lastChange := time.Now()
	for shownFinal.received < res.acked && time.Since(lastChange) < 5*time.Second && time.Since(catchStart) < 60*time.Second {
		time.Sleep(250 * time.Millisecond)
		alive()
		screenFinal = s.capture()
		if c, ok := shownCounts(screenFinal); ok && c.received != shownFinal.received {
			shownFinal, lastChange = c, time.Now()
		}
	}
	catchUp := time.Since(catchStart)
	finalRSS := mem.last()
	mem.stop()

	// Quit (the CPU profile is written on the way out) and read the trace.
	s.sendNow(false, "C-c")
	s.waitFor("the TUI to quit", 15*time.Second, func(string) bool {
		out, _ := s.tmux("display-message", "-p", "-t", "tui", "#{pane_dead}")
		return strings.TrimSpace(out) == "1"
	})
	tr := readTrace(t, tracePath)
	tr.attach(idle)
	tr.attach(load)

	if ok(idle) == 0 {
		t.Fatalf("the screen never changed on ? at idle; the pane:\n%s", s.capture())
	}
	if ok(load) == 0 {
		t.Fatalf("the screen never changed on ? under load; the pane:\n%s", s.capture())
	}

	cores := func(a, b int64) string {
		return fmt.Sprintf("%.2f cores", float64(b-a)/clockTicks/loadWall.Seconds())
	}
	var sum bytes.Buffer
	w := tabwriter.NewWriter(&sum, 0, 0, 2, ' ', 0)
	row := func(cells ...string) { fmt.Fprintln(w, strings.Join(cells, "\t")) }
	row("live tail of a 3-partition topic, TUI at 100x30", "")
	row("target rate", fmt.Sprintf("%d records/s for %d s, ~200-byte JSON values", rate, seconds))
	row("achieved rate", fmt.Sprintf("%.0f records/s (%d acked in %s; %d sent by the deadline)",
		float64(res.acked)/res.elapsed.Seconds(), res.acked, res.elapsed.Round(time.Millisecond), res.sent))
	row("TUI showed received", fmt.Sprintf("%d at the producer's end (%d new); %d after %s more",
		shownAtEnd.received, shownAtEnd.newCount, shownFinal.received, catchUp.Round(100*time.Millisecond)))
	row("", "")
	row("key ? to redraw (ms)", "samples\tp50\tp95\tmax\ttimed out")
	for _, ph := range []struct {
		name string
		ps   []probe
	}{{"idle", idle}, {"load", load}} {
		row(ph.name+": send-keys to capture-pane", statsRow(ph.ps, func(p probe) (time.Duration, bool) { return p.seen.Sub(p.sent), p.ok }))
		row(ph.name+": in the TUI, key to write", statsRow(ph.ps, func(p probe) (time.Duration, bool) { return p.write.Sub(p.key), p.traced }))
		row(ph.name+":   send-keys to key", statsRow(ph.ps, func(p probe) (time.Duration, bool) { return p.key.Sub(p.sent), p.traced }))
		row(ph.name+":     (the send-keys command)", statsRow(ph.ps, func(p probe) (time.Duration, bool) { return p.sendDone.Sub(p.sent), true }))
		row(ph.name+":   key to view", statsRow(ph.ps, func(p probe) (time.Duration, bool) { return p.view.Sub(p.key), p.traced }))
		row(ph.name+":   view to write", statsRow(ph.ps, func(p probe) (time.Duration, bool) { return p.write.Sub(p.view), p.traced }))
		row(ph.name+":   write to capture-pane", statsRow(ph.ps, func(p probe) (time.Duration, bool) { return p.seen.Sub(p.write), p.traced && p.ok }))
	}
	row("", "")
	row("TUI RSS", fmt.Sprintf("idle %s, peak under load %s, at the producer's end %s, final %s",
		mib(idleRSS), mib(peakRSS), mib(endRSS), mib(finalRSS)))
	row("CPU over the load", fmt.Sprintf("TUI %s, broker %s, whole machine %.0f%% busy of %d cores",
		cores(tuiCPU0, tuiCPU1), cores(upCPU0, upCPU1), 100*sys1.busyShare(sys0), sys1.cpus))
	w.Flush()
	table := fmt.Sprintf("TestLiveTailLoad: STREAMLITE_TUI_LOAD_RATE=%d STREAMLITE_TUI_LOAD_SECONDS=%d\n%s", rate, seconds, sum.String())
	fmt.Print(table)
	t.Log("\n" + table)
	t.Logf("the pane at the end:\n%s", screenFinal)
}

func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

// probe is one key press and the redraw it causes: the test's times (sent, seen) and the
// TUI's from its trace (key, view, write).
type probe struct {
	open             bool // ? opened help (else closed it)
	sent, seen       time.Time
	sendDone         time.Time // the tmux send-keys command returned
	ok               bool      // the change was seen
	key, view, write time.Time
	traced           bool // key, view and write are known
}

func helpShown(screen string) bool { return strings.Contains(screen, "global keys") }

func recordsShown(screen string) bool {
	return !helpShown(screen) && strings.Contains(screen, " kept")
}

// runProbes presses ? every interval (n times, or until done closes) and polls the pane as
// fast as it goes until the help opens or closes, whichever ? should do.
func runProbes(s *tmuxSession, n int, interval time.Duration, done <-chan struct{}, alive func()) []probe {
	var ps []probe
	next := time.Now()
	for n == 0 || len(ps) < n {
		if done != nil {
			select {
			case <-done:
				return ps
			default:
			}
		}
		time.Sleep(time.Until(next))
		next = next.Add(interval)
		alive()
		p := probe{open: !helpShown(s.capture())}
		want := recordsShown
		if p.open {
			want = helpShown
		}
		p.sent = time.Now()
		s.sendNow(true, "?")
		p.sendDone = time.Now()
		for deadline := p.sent.Add(10 * time.Second); time.Now().Before(deadline); {
			if want(s.capture()) {
				p.seen, p.ok = time.Now(), true
				break
			}
		}
		ps = append(ps, p)
		if !p.ok {
			alive()
		}
		if time.Now().After(next) {
			next = time.Now()
		}
	}
	return ps
}

func ok(ps []probe) int {
	n := 0
	for _, p := range ps {
		if p.ok {
			n++
		}
	}
	return n
}

// trace is the TUI's STREAMLITE_TUI_TRACE file: each ? key with its view and write.
type trace struct {
	keys []probe // key, view, write of each "?"
	next int
}

func readTrace(t *testing.T, path string) *trace {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("the TUI's trace: %v", err)
	}
	defer f.Close()
	tr := &trace{}
	var cur *probe // the last "?" key
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) < 2 {
			continue
		}
		ns, err := strconv.ParseInt(fs[1], 10, 64)
		if err != nil {
			continue
		}
		at := time.Unix(0, ns)
		switch fs[0] {
		case "key":
			cur = nil
			if len(fs) == 3 && fs[2] == "?" {
				tr.keys = append(tr.keys, probe{key: at})
				cur = &tr.keys[len(tr.keys)-1]
			}
		case "view":
			if cur != nil {
				cur.view = at
			}
		case "write":
			if cur != nil && !cur.view.IsZero() {
				cur.write, cur.traced = at, true
			}
		}
	}
	return tr
}

// attach gives the probes, in order, the trace's times of their keys.
func (tr *trace) attach(ps []probe) {
	for i := range ps {
		if tr.next >= len(tr.keys) {
			return
		}
		k := tr.keys[tr.next]
		tr.next++
		ps[i].key, ps[i].view, ps[i].write, ps[i].traced = k.key, k.view, k.write, k.traced
	}
}

// statsRow is "samples p50 p95 max timed-out" of the durations d gives the probes it
// accepts; timed out counts the probes whose change was never seen.
func statsRow(ps []probe, d func(probe) (time.Duration, bool)) string {
	var ds []time.Duration
	lost := 0
	for _, p := range ps {
		if !p.ok {
			lost++
		}
		if v, ok := d(p); ok {
			ds = append(ds, v)
		}
	}
	if len(ds) == 0 {
		return fmt.Sprintf("0\t-\t-\t-\t%d", lost)
	}
	slices.Sort(ds)
	pct := func(q float64) time.Duration {
		i := int(q*float64(len(ds))+0.5) - 1
		return ds[min(max(i, 0), len(ds)-1)]
	}
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond)) }
	return fmt.Sprintf("%d\t%s\t%s\t%s\t%d", len(ds), ms(pct(0.5)), ms(pct(0.95)), ms(ds[len(ds)-1]), lost)
}

// shown is what the records screen's header says it has received.
type shown struct{ received, newCount int64 }

var (
	keptRe    = regexp.MustCompile(`(\d+) kept`)
	newRe     = regexp.MustCompile(`following · (\d+) new`)
	droppedRe = regexp.MustCompile(`(\d+) older dropped`)
)

// shownCounts reads the header: received is kept plus dropped.
func shownCounts(screen string) (shown, bool) {
	num := func(re *regexp.Regexp) int64 {
		m := re.FindStringSubmatch(screen)
		if m == nil {
			return 0
		}
		n, _ := strconv.ParseInt(m[1], 10, 64)
		return n
	}
	if !keptRe.MatchString(screen) {
		return shown{}, false
	}
	return shown{received: num(keptRe) + num(droppedRe), newCount: num(newRe)}, true
}

// produceResult is what the paced producer did.
type produceResult struct {
	sent, acked int64
	elapsed     time.Duration // from the first record to the last acknowledgement
	err         error
}

type producer struct {
	done chan struct{}
	res  produceResult
}

func (p *producer) wait() produceResult { <-p.done; return p.res }

// startProducer produces ~200-byte JSON values at rate records/s for d: every 5 ms it
// sends what the schedule says is due, so the average holds even when a send blocks on a
// full buffer. It stops at the deadline, behind or not, and waits for the acknowledgements.
func startProducer(ctx context.Context, cl *kgo.Client, rate int, d time.Duration) *producer {
	p := &producer{done: make(chan struct{})}
	go func() {
		defer close(p.done)
		var acked atomic.Int64
		var errOnce sync.Once
		var firstErr error
		promise := func(_ *kgo.Record, err error) {
			if err != nil {
				errOnce.Do(func() { firstErr = err })
				return
			}
			acked.Add(1)
		}
		start := time.Now()
		deadline := start.Add(d)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		var sent int64
		for now := time.Now(); now.Before(deadline); now = <-tick.C {
			due := int64(float64(rate) * now.Sub(start).Seconds())
			for ; sent < due && time.Now().Before(deadline); sent++ {
				cl.Produce(ctx, loadRecord(sent), promise)
			}
		}
		err := cl.Flush(ctx)
		p.res = produceResult{sent: sent, acked: acked.Load(), elapsed: time.Since(start), err: err}
		if p.res.err == nil {
			p.res.err = firstErr
		}
	}()
	return p
}

// loadRecord is the i-th record: key user-N (spread over the partitions), a JSON value of
// 200 bytes.
func loadRecord(i int64) *kgo.Record {
	key := fmt.Appendf(nil, "user-%d", i%1000)
	v := fmt.Appendf(make([]byte, 0, 200), `{"id":%d,"user":"%s","amount":%d.%02d,"status":"paid","sku":"A-%d","qty":%d,"ts":%d,"note":"`,
		i, key, i%300, i%100, i%50, i%5+1, time.Now().UnixMilli())
	for len(v) < 200-2 {
		v = append(v, 'x')
	}
	v = append(v, `"}`...)
	return &kgo.Record{Key: key, Value: v}
}

// sampler reads a process's VmRSS every period.
type sampler struct {
	mu      sync.Mutex
	samples []int64 // KiB
	markAt  int
	gone    bool
	quit    chan struct{}
	once    sync.Once
}

func startSampler(pid int, period time.Duration) *sampler {
	s := &sampler{quit: make(chan struct{})}
	path := fmt.Sprintf("/proc/%d/status", pid)
	sample := func() {
		kib, err := vmRSS(path)
		s.mu.Lock()
		defer s.mu.Unlock()
		if err != nil {
			s.gone = true
			return
		}
		s.samples = append(s.samples, kib)
	}
	sample()
	go func() {
		tk := time.NewTicker(period)
		defer tk.Stop()
		for {
			select {
			case <-s.quit:
				return
			case <-tk.C:
				sample()
			}
		}
	}()
	return s
}

func (s *sampler) stop() { s.once.Do(func() { close(s.quit) }) }

func (s *sampler) died() bool { s.mu.Lock(); defer s.mu.Unlock(); return s.gone }

// mark starts the window peakSinceMark looks at.
func (s *sampler) mark() { s.mu.Lock(); defer s.mu.Unlock(); s.markAt = len(s.samples) }

func (s *sampler) last() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.samples) == 0 {
		return 0
	}
	return s.samples[len(s.samples)-1]
}

func (s *sampler) peakSinceMark() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var peak int64
	for _, v := range s.samples[min(s.markAt, len(s.samples)):] {
		peak = max(peak, v)
	}
	return peak
}

func vmRSS(path string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				return strconv.ParseInt(f[0], 10, 64)
			}
		}
	}
	return 0, fmt.Errorf("%s: no VmRSS", path)
}

func mib(kib int64) string { return fmt.Sprintf("%.1f MiB", float64(kib)/1024) }

// cpuTicks is a process's utime+stime in clock ticks, 0 if unreadable.
func cpuTicks(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The fields after the command name (which may hold spaces) start at field 3, state.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return u + s
}

// sysTicks is the machine's CPU time from /proc/stat: busy and total ticks, and its CPUs.
type sysTicks struct {
	busy, total int64
	cpus        int
}

func systemTicks() sysTicks {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return sysTicks{}
	}
	var st sysTicks
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) < 5 || !strings.HasPrefix(f[0], "cpu") {
			continue
		}
		if f[0] != "cpu" {
			st.cpus++
			continue
		}
		for j, v := range f[1:min(len(f), 9)] { // user .. steal; guest is in user already
			n, _ := strconv.ParseInt(v, 10, 64)
			st.total += n
			if j != 3 && j != 4 { // idle, iowait
				st.busy += n
			}
		}
	}
	return st
}

// busyShare is the share of the machine's CPU time that was busy since a.
func (b sysTicks) busyShare(a sysTicks) float64 {
	if b.total <= a.total {
		return 0
	}
	return float64(b.busy-a.busy) / float64(b.total-a.total)
}
