package tui

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/textarea"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/streamlite/streamlite/tui/cluster"
)

// field is one labelled line of a form.
type field struct {
	label string
	hint  string
	in    *textinput.Model
}

// form is a column of fields; tab and shift-tab move between them.
type form struct {
	fields []field
	focus  int
}

func (f *form) add(st *styles, label, hint, value string) {
	in := newTextInput(st, "", "")
	in.SetValue(value)
	f.fields = append(f.fields, field{label: label, hint: hint, in: in})
}

func (f *form) value(i int) string { return strings.TrimSpace(f.fields[i].in.Value()) }

// setFocus focuses field i; an i past the fields focuses none of them (the form's
// owner has another focus stop there).
func (f *form) setFocus(i int) {
	for j, fl := range f.fields {
		if j == i {
			fl.in.Focus()
		} else {
			fl.in.Blur()
		}
	}
	f.focus = i
}

// lines draws the fields, labels padded to one width, inputs sized to w.
func (f *form) lines(st *styles, w int) []string {
	lw := 0
	for _, fl := range f.fields {
		lw = max(lw, len(fl.label))
	}
	var out []string
	for i, fl := range f.fields {
		mark := markerOff
		if i == f.focus {
			mark = markerSel
		}
		iw := max(w-len(mark)-lw-2-len(fl.hint)-3, 8)
		line := mark + pad(fl.label, lw, false) + "  " + pad(inputView(fl.in, iw), iw, false)
		if fl.hint != "" {
			line += "   " + st.dim.Render(fl.hint)
		}
		out = append(out, fit(line, w))
	}
	return out
}

// produceScreen is the produce form of a topic.
type produceScreen struct {
	screenBase
	topic string
	f     form
	value *textarea.Model
	send  loader
}

const produceValueStop = 3 // the focus index of the value

func newProduceScreen(m *Model, topic string) *produceScreen {
	s := &produceScreen{topic: topic}
	s.f.add(&m.st, "partition", "blank: by key", "")
	s.f.add(&m.st, "key", "blank: null key", "")
	s.f.add(&m.st, "headers", "k=v,k2=v2", "")
	s.value = newTextArea(&m.st, "the value (enter breaks the line)")
	s.f.setFocus(0)
	return s
}

func (s *produceScreen) name() string       { return "produce" }
func (s *produceScreen) title() string      { return s.topic }
func (s *produceScreen) capturesKeys() bool { return true }

func (s *produceScreen) bindings() []binding {
	return []binding{{"ctrl-s", "send", 0}, {"tab", "next field", 1}, {"esc", "cancel", 0}, {"shift-tab", "previous", 3}}
}

func (s *produceScreen) focusStop(i int) tea.Cmd {
	s.f.setFocus(i)
	if i == produceValueStop {
		return s.value.Focus()
	}
	s.value.Blur()
	return nil
}

func (s *produceScreen) update(m *Model, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case reply:
		v, ok, _ := s.send.answer(m, s, msg)
		if ok {
			at := v.([2]int64)
			cmd := m.pop()
			m.status = fmt.Sprintf("produced to %s partition %d at offset %d", s.topic, at[0], at[1])
			return cmd
		}
		if s.send.err != nil {
			m.fail.hint, m.fail.retry = "", nil
		}
		return nil
	case tick:
		return nil
	case tea.KeyMsg:
		switch msg.String() {
		case "esc":
			return m.pop()
		case "ctrl+s":
			return s.submit(m)
		case "tab":
			return s.focusStop((s.f.focus + 1) % (produceValueStop + 1))
		case "shift+tab":
			return s.focusStop((s.f.focus + produceValueStop) % (produceValueStop + 1))
		case "enter":
			if s.f.focus < produceValueStop {
				return s.focusStop(s.f.focus + 1)
			}
		}
		if s.f.focus == produceValueStop {
			return updateArea(s.value, msg)
		}
		cmd, _ := updateInput(s.f.fields[s.f.focus].in, msg)
		return cmd
	}
	return nil
}

// parseHeaders reads "k=v,k2=v2".
func parseHeaders(text string) ([]cluster.Header, error) {
	var hs []cluster.Header
	for _, kv := range strings.Split(text, ",") {
		kv = strings.TrimSpace(kv)
		if kv == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("header %q: want key=value", kv)
		}
		hs = append(hs, cluster.Header{Key: k, Value: []byte(v)})
	}
	return hs, nil
}

func (s *produceScreen) submit(m *Model) tea.Cmd {
	rec := cluster.ProduceRecord{Topic: s.topic, Partition: -1}
	if p := s.f.value(0); p != "" {
		n, err := strconv.ParseInt(p, 10, 32)
		if err != nil || n < 0 {
			m.fail = &failure{screen: s.id(), text: fmt.Sprintf("partition %q: want a number >= 0, or blank", p)}
			return nil
		}
		rec.Partition = int32(n)
	}
	if k := s.f.fields[1].in.Value(); k != "" {
		rec.Key = []byte(k)
	}
	hs, err := parseHeaders(s.f.value(2))
	if err != nil {
		m.fail = &failure{screen: s.id(), text: err.Error()}
		return nil
	}
	rec.Headers = hs
	rec.Value = []byte(s.value.Value())
	src := m.src
	s.send = loader{kind: "produce", load: func(ctx context.Context) (any, error) {
		p, off, err := src.Produce(ctx, rec)
		if err != nil {
			return nil, err
		}
		return [2]int64{int64(p), off}, nil
	}}
	m.status = "sending…"
	return s.send.fetch(m, s)
}

func (s *produceScreen) view(m *Model, w, h int) []string {
	out := []string{fmt.Sprintf("  produce a record to %s", s.topic), ""}
	out = append(out, s.f.lines(&m.st, w)...)
	mark := markerOff
	if s.f.focus == produceValueStop {
		mark = markerSel
	}
	out = append(out, mark+"value")
	for _, l := range areaLines(s.value, w-2, max(h-len(out), 3)) {
		out = append(out, "  "+l)
	}
	return out
}

// createTopicScreen is the new-topic form (`n` on topics).
type createTopicScreen struct {
	screenBase
	f      form
	create loader
}

func newCreateTopicScreen(m *Model) *createTopicScreen {
	s := &createTopicScreen{}
	s.f.add(&m.st, "name", "", "")
	s.f.add(&m.st, "partitions", "", "1")
	s.f.add(&m.st, "replication", "blank: broker default", "")
	s.f.add(&m.st, "configs", "k=v,... e.g. retention.ms=3600000", "")
	s.f.setFocus(0)
	return s
}

func (s *createTopicScreen) name() string       { return "new topic" }
func (s *createTopicScreen) capturesKeys() bool { return true }

func (s *createTopicScreen) bindings() []binding {
	return []binding{{"ctrl-s", "create", 0}, {"tab", "next field", 1}, {"esc", "cancel", 0}}
}

func (s *createTopicScreen) update(m *Model, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case reply:
		v, ok, _ := s.create.answer(m, s, msg)
		if ok {
			cmd := m.pop()
			m.status = "created topic " + v.(string)
			return cmd
		}
		if s.create.err != nil {
			m.fail.hint, m.fail.retry = "", nil
		}
		return nil
	case tick:
		return nil
	case tea.KeyMsg:
		n := len(s.f.fields)
		switch msg.String() {
		case "esc":
			return m.pop()
		case "ctrl+s":
			return s.submit(m)
		case "enter":
			if s.f.focus == n-1 {
				return s.submit(m)
			}
			s.f.setFocus(s.f.focus + 1)
			return nil
		case "tab", "down":
			s.f.setFocus((s.f.focus + 1) % n)
			return nil
		case "shift+tab", "up":
			s.f.setFocus((s.f.focus + n - 1) % n)
			return nil
		}
		cmd, _ := updateInput(s.f.fields[s.f.focus].in, msg)
		return cmd
	}
	return nil
}

func (s *createTopicScreen) submit(m *Model) tea.Cmd {
	name := s.f.value(0)
	bad := func(format string, a ...any) tea.Cmd {
		m.fail = &failure{screen: s.id(), text: fmt.Sprintf(format, a...)}
		return nil
	}
	if name == "" {
		return bad("a topic needs a name")
	}
	parts, err := strconv.ParseInt(s.f.value(1), 10, 32)
	if err != nil || parts < 1 {
		return bad("partitions %q: want a number >= 1", s.f.value(1))
	}
	rf := int64(-1)
	if v := s.f.value(2); v != "" {
		rf, err = strconv.ParseInt(v, 10, 16)
		if err != nil || rf < 1 {
			return bad("replication %q: want a number >= 1, or blank", v)
		}
	}
	configs := map[string]string{}
	for _, kv := range strings.Split(s.f.value(3), ",") {
		kv = strings.TrimSpace(kv)
		if kv == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return bad("config %q: want key=value", kv)
		}
		configs[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	src := m.src
	s.create = loader{kind: "create", load: func(ctx context.Context) (any, error) {
		if err := src.CreateTopic(ctx, name, int32(parts), int16(rf), configs); err != nil {
			return nil, fmt.Errorf("creating topic %s: %w", name, err)
		}
		return name, nil
	}}
	m.status = "creating…"
	return s.create.fetch(m, s)
}

func (s *createTopicScreen) view(m *Model, w, h int) []string {
	out := []string{"  create a topic", ""}
	out = append(out, s.f.lines(&m.st, w)...)
	out = append(out, "", "  enter on the last field or ctrl-s creates it")
	return out
}

// deleteTopicScreen asks for the topic's name before deleting it.
type deleteTopicScreen struct {
	screenBase
	topic string
	in    *textinput.Model
	del   loader
}

func newDeleteTopicScreen(m *Model, topic string) *deleteTopicScreen {
	return &deleteTopicScreen{topic: topic, in: newFocusedInput(&m.st, "> ", "")}
}

func (s *deleteTopicScreen) name() string       { return "delete topic" }
func (s *deleteTopicScreen) title() string      { return s.topic }
func (s *deleteTopicScreen) capturesKeys() bool { return true }

func (s *deleteTopicScreen) bindings() []binding {
	return []binding{{"enter", "delete", 0}, {"esc", "cancel", 0}}
}

func (s *deleteTopicScreen) update(m *Model, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case reply:
		_, ok, _ := s.del.answer(m, s, msg)
		if ok {
			cmd := m.switchTo()
			m.status = "deleted topic " + s.topic
			return cmd
		}
		if s.del.err != nil {
			m.fail.hint, m.fail.retry = "", nil
		}
		return nil
	case tick:
		return nil
	case tea.KeyMsg:
		switch msg.String() {
		case "esc":
			return m.pop()
		case "enter":
			if s.in.Value() != s.topic {
				m.fail = &failure{screen: s.id(), text: fmt.Sprintf("the name typed is not %q: nothing deleted", s.topic)}
				return nil
			}
			src, topic := m.src, s.topic
			s.del = loader{kind: "delete", load: func(ctx context.Context) (any, error) {
				if err := src.DeleteTopic(ctx, topic); err != nil {
					return nil, fmt.Errorf("deleting topic %s: %w", topic, err)
				}
				return nil, nil
			}}
			m.status = "deleting…"
			return s.del.fetch(m, s)
		}
		cmd, _ := updateInput(s.in, msg)
		return cmd
	}
	return nil
}

func (s *deleteTopicScreen) view(m *Model, w, h int) []string {
	return []string{
		fmt.Sprintf("  delete topic %s and all its records? This cannot be undone.", s.topic),
		"",
		"  type the topic's name to confirm:",
		"  " + inputView(s.in, w-2),
	}
}

// startPrompt asks where a records screen starts: an offset or a time.
type startPrompt struct {
	screenBase
	topic string
	kind  cluster.StartKind
	in    *textinput.Model
}

func newStartPrompt(m *Model, topic string, kind cluster.StartKind) *startPrompt {
	s := &startPrompt{topic: topic, kind: kind}
	if kind == cluster.FromOffset {
		s.in = newFocusedInput(&m.st, "start offset: ", "e.g. 42 (every partition, clamped to its range)")
	} else {
		s.in = newFocusedInput(&m.st, "start time: ", "RFC 3339 (2024-05-01T12:00:00Z) or relative (-5m)")
	}
	return s
}

func (s *startPrompt) name() string       { return "records" }
func (s *startPrompt) title() string      { return s.topic }
func (s *startPrompt) capturesKeys() bool { return true }

func (s *startPrompt) bindings() []binding {
	return []binding{{"enter", "open records", 0}, {"esc", "cancel", 0}}
}

func (s *startPrompt) update(m *Model, msg tea.Msg) tea.Cmd {
	k, ok := msg.(tea.KeyMsg)
	if !ok {
		return nil
	}
	switch k.String() {
	case "esc":
		return m.pop()
	case "enter":
		text := strings.TrimSpace(s.in.Value())
		from := cluster.Start{Kind: s.kind}
		if s.kind == cluster.FromOffset {
			n, err := strconv.ParseInt(text, 10, 64)
			if err != nil || n < 0 {
				m.fail = &failure{screen: s.id(), text: fmt.Sprintf("offset %q: want a number >= 0", text)}
				return nil
			}
			from.Offset = n
		} else {
			t, err := parseTime(text, m.opts.Clock())
			if err != nil {
				m.fail = &failure{screen: s.id(), text: err.Error()}
				return nil
			}
			from.Time = t
		}
		return m.replaceTop(newRecordsScreen(m, s.topic, from))
	}
	cmd, _ := updateInput(s.in, k)
	return cmd
}

func (s *startPrompt) view(m *Model, w, h int) []string {
	return []string{"  read " + s.topic + " from:", "", "  " + inputView(s.in, w-2)}
}
