package tui

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/streamlite/streamlite/tui/cluster"
)

// topicSort is the order of the topics screen; `s` cycles through them.
type topicSort int

const (
	sortName topicSort = iota
	sortRecords
	sortSize
	sortLastWrite
	numTopicSorts
)

func (s topicSort) String() string {
	return [...]string{"name", "records", "size", "last write"}[s]
}

// topicsScreen is the default screen: every topic with its size and age.
type topicsScreen struct {
	screenBase
	l        loader
	topics   []cluster.Topic
	shown    []cluster.Topic // after the internal toggle, the filter and the sort
	internal bool            // `i`: show internal topics
	sortBy   topicSort
	filter   string
	input    *textinput.Model // the `/` input while it has focus
	list     cursorList
	tbl      table
}

func newTopicsScreen(m *Model) *topicsScreen {
	s := &topicsScreen{}
	src := m.src
	s.l = loader{kind: "topics", every: m.opts.Refresh, load: func(ctx context.Context) (any, error) {
		return src.Topics(ctx)
	}}
	return s
}

func (s *topicsScreen) name() string { return "topics" }

func (s *topicsScreen) info(m *Model) string {
	var parts []string
	if s.l.done {
		parts = append(parts, fmt.Sprintf("%d of %d", len(s.shown), len(s.topics)))
	} else {
		parts = append(parts, "loading…")
	}
	parts = append(parts, "sort: "+s.sortBy.String())
	if s.filter != "" || s.input != nil {
		parts = append(parts, "filter: "+s.filter)
	}
	if s.internal {
		parts = append(parts, "internal shown")
	}
	return strings.Join(parts, " · ")
}

func (s *topicsScreen) start(m *Model) tea.Cmd { return s.l.fetch(m, s) }

func (s *topicsScreen) capturesKeys() bool { return s.input != nil }

func (s *topicsScreen) bindings() []binding {
	if s.input != nil {
		return []binding{{"enter", "keep filter", 0}, {"esc", "clear filter", 0}}
	}
	return []binding{
		{"enter", "open", 0},
		{"/", "filter", 1},
		{"s", "sort", 2},
		{"n", "new topic", 4},
		{"ctrl-d", "delete", 6},
		{"i", "internal", 5},
		{"j/k", "move", 8},
	}
}

func (s *topicsScreen) escape(m *Model) bool {
	if s.filter != "" {
		s.filter = ""
		s.reshow()
		return true
	}
	return false
}

func (s *topicsScreen) selected() (cluster.Topic, bool) {
	if s.list.cursor < len(s.shown) {
		return s.shown[s.list.cursor], true
	}
	return cluster.Topic{}, false
}

func (s *topicsScreen) update(m *Model, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case reply:
		v, ok, cmd := s.l.answer(m, s, msg)
		if ok {
			s.topics = v.([]cluster.Topic)
			m.knownTopics = m.knownTopics[:0]
			for _, t := range s.topics {
				m.knownTopics = append(m.knownTopics, t.Name)
			}
			s.reshow()
		}
		return cmd
	case tick:
		return s.l.onTick(m, s, msg)
	case tea.KeyMsg:
		if s.input != nil {
			return s.filterKey(msg)
		}
		k := msg.String()
		if s.list.move(k, len(s.shown)) {
			return nil
		}
		switch k {
		case "enter":
			if t, ok := s.selected(); ok {
				return m.push(newTopicScreen(m, t.Name))
			}
		case "/":
			s.input = newFocusedInput(&m.st, "/", "name contains")
			s.input.SetValue(s.filter)
		case "s":
			s.sortBy = (s.sortBy + 1) % numTopicSorts
			s.reshow()
		case "i":
			s.internal = !s.internal
			s.reshow()
		case "n":
			return m.push(newCreateTopicScreen(m))
		case "ctrl+d":
			if t, ok := s.selected(); ok {
				return m.push(newDeleteTopicScreen(m, t.Name))
			}
		}
	}
	return nil
}

// filterKey edits the filter as it is typed: the list narrows at each key.
func (s *topicsScreen) filterKey(k tea.KeyMsg) tea.Cmd {
	switch k.String() {
	case "enter":
		s.input = nil
		return nil
	case "esc":
		s.input = nil
		s.filter = ""
		s.reshow()
		return nil
	}
	cmd, _ := updateInput(s.input, k)
	s.filter = s.input.Value()
	s.reshow()
	return cmd
}

// reshow recomputes the shown topics, keeping the selection on the same topic.
func (s *topicsScreen) reshow() {
	cur, had := s.selected()
	s.shown = s.shown[:0]
	for _, t := range s.topics {
		if t.Internal && !s.internal {
			continue
		}
		if s.filter != "" && !strings.Contains(strings.ToLower(t.Name), strings.ToLower(s.filter)) {
			continue
		}
		s.shown = append(s.shown, t)
	}
	sort.SliceStable(s.shown, func(i, j int) bool {
		a, b := s.shown[i], s.shown[j]
		switch s.sortBy {
		case sortRecords:
			if a.Records != b.Records {
				return a.Records > b.Records
			}
		case sortSize:
			if a.Bytes != b.Bytes {
				return a.Bytes > b.Bytes
			}
		case sortLastWrite:
			if !a.LastWrite.Equal(b.LastWrite) {
				return a.LastWrite.After(b.LastWrite)
			}
		}
		return a.Name < b.Name
	})
	if had {
		for i, t := range s.shown {
			if t.Name == cur.Name {
				s.list.cursor = i
				break
			}
		}
	}
	s.list.clamp(len(s.shown))
}

func topicMarks(t cluster.Topic) string {
	var b strings.Builder
	if t.AutoCreated {
		b.WriteByte('A')
	}
	if t.Tiered {
		b.WriteByte('T')
	}
	if t.Internal {
		b.WriteByte('I')
	}
	return b.String()
}

func (s *topicsScreen) view(m *Model, w, h int) []string {
	if s.input != nil {
		h--
	}
	s.tbl.cols = []column{
		{title: "", min: 0, max: 3},
		{title: "NAME", min: 8},
		{title: "PART", min: 4, right: true},
		{title: "RECORDS", min: 7, right: true},
		{title: "SIZE", min: 4, right: true},
		{title: "RETENTION", min: 9},
		{title: "LAST WRITE", min: 10, right: true},
	}
	sortCol := map[topicSort]int{sortName: 1, sortRecords: 3, sortSize: 4, sortLastWrite: 6}[s.sortBy]
	s.tbl.cols[sortCol].title += "↓"
	now := m.opts.Clock()
	rows := make([][]string, len(s.shown))
	for i, t := range s.shown {
		rows[i] = []string{
			topicMarks(t),
			t.Name,
			fmt.Sprint(t.Partitions),
			formatCount(t.Records),
			formatBytes(t.Bytes),
			formatRetention(t.RetentionMs, t.RetentionBytes),
			formatAge(now, t.LastWrite),
		}
	}
	var out []string
	if s.input != nil {
		out = append(out, inputView(s.input, w))
	}
	out = append(out, s.tbl.render(m, rows, &s.list, w, h)...)
	switch {
	case !s.l.done && s.l.err == nil:
		out = append(out, "  loading topics…")
	case s.l.done && len(s.shown) == 0 && s.filter != "":
		out = append(out, "  no topic matches "+fmt.Sprintf("%q", s.filter))
	case s.l.done && len(s.shown) == 0:
		out = append(out, "  no topics yet: n creates one")
	}
	return out
}
