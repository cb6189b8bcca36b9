package tui

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/streamlite/streamlite/tui/cluster"
)

// recordsScreen shows a topic's records as they are read: it opens a reader, keeps one
// Poll in flight (500 records, 200 ms) and re-arms it on each answer, and keeps the newest
// MaxRecords in a ring. In follow mode the selection stays on the newest record.
type recordsScreen struct {
	screenBase
	topic string
	from  cluster.Start

	open    loader // opens the reader; retried with backoff
	h       *readerHandle
	polling bool
	pollSeq uint64
	pollGen uint64
	bo      backoff
	stopped bool

	ring    ring
	dropped int64 // records dropped from the ring

	filter     RecordFilter
	matches    []int64 // seqs of the kept records that match filter (nil filter: unused)
	input      *textinput.Model
	filterCol  int // the column a filter error points at, 0 when none
	follow     bool
	caughtUp   bool  // the backlog has been read: what arrives now is new
	sawRecords bool  // a poll has returned records
	emptyPolls int   // polls that returned nothing
	newCount   int64 // records arrived, once caught up, since follow was last toggled
	list       cursorList
	tbl        table
	rows       [][]string // reused by view
	cellBuf    []string
	wait       time.Duration // of one Poll
}

// readerOpened is what the open call returns; it closes the reader if its screen is gone.
type readerOpened struct{ r RecordReader }

func (o readerOpened) discard() {
	if o.r != nil {
		o.r.Close()
	}
}

// discard releases what a loaded value owns when nobody takes it.
func (l loaded) discard() {
	if d, ok := l.v.(discarder); ok {
		d.discard()
	}
}

// polled is the answer of one Poll.
type polled struct {
	recs []cluster.Record
	err  error
}

func newRecordsScreen(m *Model, topic string, from cluster.Start) *recordsScreen {
	s := &recordsScreen{topic: topic, from: from, follow: from.Kind == cluster.FromEnd, wait: pollWait}
	s.ring.max = m.opts.MaxRecords
	src := m.src
	s.open = loader{kind: "open", load: func(context.Context) (any, error) {
		r, err := src.OpenReader(topic, from)
		if err != nil {
			return nil, err
		}
		return readerOpened{r: r}, nil
	}}
	return s
}

func (s *recordsScreen) name() string  { return "records" }
func (s *recordsScreen) title() string { return s.topic }

func (s *recordsScreen) info(m *Model) string {
	parts := []string{startText(s.from, m.opts.Location)}
	if s.filter != nil {
		parts = append(parts, fmt.Sprintf("%d of %d kept", len(s.matches), s.ring.len()))
	} else {
		parts = append(parts, fmt.Sprintf("%d kept", s.ring.len()))
	}
	if s.follow {
		parts = append(parts, fmt.Sprintf("following · %d new", s.newCount))
	}
	if s.dropped > 0 {
		parts = append(parts, fmt.Sprintf("%d older dropped (keeps %d)", s.dropped, s.ring.max))
	}
	if s.filter != nil {
		parts = append(parts, "filter: "+s.filter.String())
	}
	return strings.Join(parts, " · ")
}

func startText(from cluster.Start, loc *time.Location) string {
	switch from.Kind {
	case cluster.FromBeginning:
		return "from beginning"
	case cluster.FromOffset:
		return "from offset " + strconv.FormatInt(from.Offset, 10)
	case cluster.FromTime:
		return "from " + from.Time.In(loc).Format(time.RFC3339)
	}
	return "from end"
}

func (s *recordsScreen) start(m *Model) tea.Cmd {
	if s.h == nil && !s.open.done {
		return s.open.fetch(m, s)
	}
	return nil
}

func (s *recordsScreen) stop() tea.Cmd {
	s.stopped = true
	h := s.h
	if h == nil {
		return nil
	}
	return func() tea.Msg { h.close(); return nil }
}

func (s *recordsScreen) capturesKeys() bool { return s.input != nil }

func (s *recordsScreen) bindings() []binding {
	if s.input != nil {
		return []binding{{"enter", "apply filter", 0}, {"esc", "cancel", 0}}
	}
	return []binding{
		{"enter", "open", 0},
		{"f", "follow", 1},
		{"/", "filter", 2},
		{"g/G", "top/bottom", 5},
		{"d/u", "page", 6},
		{"j/k", "move", 8},
	}
}

func (s *recordsScreen) escape(m *Model) bool {
	if s.filter != nil {
		s.setFilter(nil)
		return true
	}
	return false
}

// poll starts the next Poll unless one is in flight.
func (s *recordsScreen) poll(m *Model) tea.Cmd {
	if s.h == nil || s.polling || s.stopped {
		return nil
	}
	s.polling = true
	s.pollSeq++
	h, to, seq, parent, wait := s.h, s.id(), s.pollSeq, m.ctx, s.wait
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(parent, wait)
		defer cancel()
		recs, err := h.poll(ctx, pollMax)
		return reply{to: to, kind: "poll", seq: seq, body: polled{recs: recs, err: err}}
	}
}

func (s *recordsScreen) update(m *Model, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case reply:
		switch msg.kind {
		case "open":
			v, ok, cmd := s.open.answer(m, s, msg)
			if !ok {
				return cmd
			}
			s.h = &readerHandle{r: v.(readerOpened).r}
			m.track(s.h)
			if s.stopped {
				return s.stop()
			}
			return s.poll(m)
		case "poll":
			return s.polled(m, msg)
		}
	case tick:
		switch msg.kind {
		case "open":
			return s.open.onTick(m, s, msg)
		case "poll":
			if msg.gen == s.pollGen {
				return s.poll(m)
			}
		}
	case tea.KeyMsg:
		if s.input != nil {
			return s.filterKey(m, msg)
		}
		return s.key(m, msg.String())
	}
	return nil
}

// polled takes a Poll's answer and schedules the next one: at once after records or an
// empty poll, after the backoff after an error.
func (s *recordsScreen) polled(m *Model, r reply) tea.Cmd {
	if r.seq != s.pollSeq || !s.polling {
		return nil
	}
	s.polling = false
	p := r.body.(polled)
	s.pollGen++
	s.add(p.recs) // a failed poll may still carry records
	if p.err != nil {
		d := s.bo.next()
		m.failed(s, fmt.Errorf("reading %s: %w", s.topic, p.err), d, func() tea.Cmd {
			s.pollGen++
			return s.poll(m)
		})
		return m.after(s, d, "poll", s.pollGen)
	}
	s.bo.reset()
	m.recovered(s)
	// Caught up: an empty poll after records, or five empty polls in a row (an empty
	// topic, or a backlog slower than a second to come, which then counts as new).
	if len(p.recs) > 0 {
		s.sawRecords = true
		s.emptyPolls = 0
	} else {
		s.emptyPolls++
		if s.sawRecords || s.emptyPolls >= 5 {
			s.caughtUp = true
		}
	}
	return m.after(s, 0, "poll", s.pollGen)
}

// add appends records to the ring, keeping the selection on the same record (or on the
// newest in follow mode).
func (s *recordsScreen) add(recs []cluster.Record) {
	if len(recs) == 0 {
		return
	}
	selSeq := s.selectedSeq()
	first := s.ring.total
	d := s.ring.push(recs)
	s.dropped += int64(d)
	if s.caughtUp {
		s.newCount += int64(len(recs))
	}
	if s.filter != nil {
		oldest := s.ring.first()
		cut := 0
		for cut < len(s.matches) && s.matches[cut] < oldest {
			cut++
		}
		if cut > 0 {
			s.matches = append(s.matches[:0], s.matches[cut:]...)
		}
		for seq := max(first, oldest); seq < s.ring.total; seq++ {
			if s.filter.Match(s.ring.bySeq(seq)) {
				s.matches = append(s.matches, seq)
			}
		}
	}
	n := s.visible()
	if s.follow {
		s.list.cursor = n - 1
		return
	}
	s.list.cursor = s.indexOf(selSeq)
	s.list.clamp(n)
}

// visible is how many records the table shows (the matching ones under a filter).
func (s *recordsScreen) visible() int {
	if s.filter != nil {
		return len(s.matches)
	}
	return s.ring.len()
}

// seqAt is the seq of the i-th visible record.
func (s *recordsScreen) seqAt(i int) int64 {
	if s.filter != nil {
		return s.matches[i]
	}
	return s.ring.first() + int64(i)
}

func (s *recordsScreen) selectedSeq() int64 {
	if s.list.cursor < 0 || s.list.cursor >= s.visible() {
		return -1
	}
	return s.seqAt(s.list.cursor)
}

// indexOf is the visible index of the record numbered seq, or the nearest after it.
func (s *recordsScreen) indexOf(seq int64) int {
	if seq < 0 {
		return 0
	}
	if s.filter == nil {
		return int(max(seq-s.ring.first(), 0))
	}
	for i, q := range s.matches {
		if q >= seq {
			return i
		}
	}
	return len(s.matches) - 1
}

func (s *recordsScreen) setFilter(f RecordFilter) {
	sel := s.selectedSeq()
	s.filter = f
	s.matches = s.matches[:0]
	if f != nil {
		for i := 0; i < s.ring.len(); i++ {
			if f.Match(s.ring.at(i)) {
				s.matches = append(s.matches, s.ring.first()+int64(i))
			}
		}
	}
	if s.follow {
		s.list.cursor = s.visible() - 1
	} else {
		s.list.cursor = s.indexOf(sel)
	}
	s.list.clamp(s.visible())
}

func (s *recordsScreen) key(m *Model, k string) tea.Cmd {
	n := s.visible()
	if s.list.move(k, n) {
		if s.follow && s.list.cursor < n-1 {
			s.follow = false // moving away from the newest record stops following
			s.newCount = 0
		}
		return nil
	}
	switch k {
	case "f":
		s.follow = !s.follow
		s.newCount = 0
		if s.follow {
			s.list.cursor = n - 1
			s.list.clamp(n)
		}
	case "/":
		s.input = newFocusedInput(&m.st, "/", "e.g. error key:user-1 value.status=failed partition:0 offset>=100 -word")
		if s.filter != nil {
			s.input.SetValue(s.filter.String())
		}
	case "enter":
		if seq := s.selectedSeq(); seq >= 0 {
			rec := *s.ring.bySeq(seq)
			return m.push(newRecordScreen(rec))
		}
	}
	return nil
}

func (s *recordsScreen) filterKey(m *Model, k tea.KeyMsg) tea.Cmd {
	switch k.String() {
	case "esc":
		s.input = nil
		s.filterCol = 0
		m.recovered(s)
		return nil
	case "enter":
		text := strings.TrimSpace(s.input.Value())
		if text == "" {
			s.input = nil
			s.setFilter(nil)
			return nil
		}
		f, err := m.src.ParseFilter(text)
		if err != nil {
			m.fail = &failure{screen: s.id(), text: oneLine("filter: " + err.Error())}
			s.filterCol = errorColumn(err)
			return nil
		}
		s.filterCol = 0
		m.recovered(s)
		s.input = nil
		s.setFilter(f)
		return nil
	}
	cmd, changed := updateInput(s.input, k)
	if changed {
		s.filterCol = 0
	}
	return cmd
}

// errorColumn reads the 1-based column of a filter error ("column 7: ..."), 0 if none.
func errorColumn(err error) int {
	msg := err.Error()
	i := strings.Index(msg, "column ")
	if i < 0 {
		return 0
	}
	j := i + len("column ")
	k := j
	for k < len(msg) && msg[k] >= '0' && msg[k] <= '9' {
		k++
	}
	n, _ := strconv.Atoi(msg[j:k])
	return n
}

func (s *recordsScreen) view(m *Model, w, h int) []string {
	var out []string
	if s.input != nil {
		out = append(out, inputView(s.input, w))
		h--
		if s.filterCol > 0 {
			out = append(out, m.st.err.Render(fit(strings.Repeat(" ", ansi.StringWidth(s.input.Prompt)+s.filterCol-1)+"^", w)))
			h--
		}
	}
	s.tbl.cols = []column{
		{title: "P", min: 1, right: true},
		{title: "OFFSET", min: 6, right: true},
		{title: "TIME", min: 8},
		{title: "KEY", min: 3, max: 24},
		{title: "VALUE", min: 5},
	}
	n := s.visible()
	first := s.list.window(n, h-1)
	rows := s.rows[:0]
	cells := s.cellBuf[:0]
	for i := first; i < n && len(rows) < h-1; i++ {
		r := s.ring.bySeq(s.seqAt(i))
		start := len(cells)
		cells = append(cells,
			strconv.Itoa(int(r.Partition)),
			strconv.FormatInt(r.Offset, 10),
			r.Timestamp.In(m.opts.Location).Format("01-02 15:04:05.000"),
			previewText(r.KeyText, w),
			previewText(r.ValueText, w),
		)
		rows = append(rows, cells[start:len(cells):len(cells)])
	}
	s.rows, s.cellBuf = rows, cells
	// The table is drawn from its first visible row: render with a list scrolled to it.
	view := cursorList{cursor: s.list.cursor - first, offset: 0}
	out = append(out, s.tbl.render(m, rows, &view, w, h)...)
	if n == 0 {
		switch {
		case s.h == nil && s.open.err == nil:
			out = append(out, "  opening "+s.topic+"…")
		case s.filter != nil && s.ring.len() > 0:
			out = append(out, "  no kept record matches the filter")
		case s.h != nil:
			out = append(out, "  no records yet; waiting for new ones")
		}
	}
	return out
}

// previewText is s on one line, cut to about w cells: runs of white space with a line
// break (pretty-printed JSON) become one space.
func previewText(s string, w int) string {
	if limit := 8 * max(w, 16); len(s) > limit {
		for limit > 0 && !utf8.RuneStart(s[limit]) {
			limit--
		}
		s = s[:limit]
	}
	if !strings.ContainsAny(s, "\n\r\t") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, c := range s {
		switch c {
		case '\n', '\r', '\t':
			space = true
			continue
		case ' ':
			if space {
				continue
			}
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(c)
	}
	return b.String()
}
