package tui

import (
	"context"
	"fmt"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/streamlite/streamlite/tui/cluster"
)

// topicScreen is the topic detail: its partitions and the configs set on it.
type topicScreen struct {
	screenBase
	topic string
	l     loader
	d     *cluster.TopicDetail
	list  cursorList
	tbl   table
}

func newTopicScreen(m *Model, topic string) *topicScreen {
	s := &topicScreen{topic: topic}
	src := m.src
	s.l = loader{kind: "topic", every: m.opts.Refresh, load: func(ctx context.Context) (any, error) {
		return src.Topic(ctx, topic)
	}}
	return s
}

func (s *topicScreen) name() string  { return "topic" }
func (s *topicScreen) title() string { return s.topic }

func (s *topicScreen) info(m *Model) string {
	if s.d == nil {
		return "loading…"
	}
	t := s.d.Topic
	parts := []string{
		plural(t.Partitions, "partition", "partitions"),
		fmt.Sprintf("rf %d", t.Replicas),
		formatCount(t.Records) + " records",
		formatBytes(t.Bytes),
		"retention " + formatRetention(t.RetentionMs, t.RetentionBytes),
	}
	if t.CleanupPolicy != "" && t.CleanupPolicy != "delete" {
		parts = append(parts, "cleanup "+t.CleanupPolicy)
	}
	if t.RemoteRecords > 0 {
		parts = append(parts, formatCount(t.RemoteRecords)+" remote only")
	}
	if marks := topicMarks(t); marks != "" {
		parts = append(parts, marks)
	}
	return strings.Join(parts, " · ")
}

func (s *topicScreen) start(m *Model) tea.Cmd { return s.l.fetch(m, s) }

func (s *topicScreen) bindings() []binding {
	return []binding{
		{"r/enter", "records (end)", 0},
		{"b", "from beginning", 1},
		{"o", "from offset", 3},
		{"t", "from time", 3},
		{"p", "produce", 2},
		{"ctrl-d", "delete", 5},
		{"j/k", "move", 8},
	}
}

func (s *topicScreen) update(m *Model, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case reply:
		v, ok, cmd := s.l.answer(m, s, msg)
		if ok {
			d := v.(cluster.TopicDetail)
			s.d = &d
		}
		return cmd
	case tick:
		return s.l.onTick(m, s, msg)
	case tea.KeyMsg:
		k := msg.String()
		n := 0
		if s.d != nil {
			n = len(s.d.Parts)
		}
		if s.list.move(k, n) {
			return nil
		}
		switch k {
		case "r", "enter":
			return m.push(newRecordsScreen(m, s.topic, cluster.Start{Kind: cluster.FromEnd}))
		case "b":
			return m.push(newRecordsScreen(m, s.topic, cluster.Start{Kind: cluster.FromBeginning}))
		case "o":
			return m.push(newStartPrompt(m, s.topic, cluster.FromOffset))
		case "t":
			return m.push(newStartPrompt(m, s.topic, cluster.FromTime))
		case "p":
			return m.push(newProduceScreen(m, s.topic))
		case "ctrl+d":
			return m.push(newDeleteTopicScreen(m, s.topic))
		}
	}
	return nil
}

func (s *topicScreen) view(m *Model, w, h int) []string {
	if s.d == nil {
		if s.l.err != nil {
			return []string{"  could not describe " + s.topic}
		}
		return []string{"  loading " + s.topic + "…"}
	}
	var configs []string
	for _, c := range s.d.Configs {
		if c.Default {
			continue
		}
		v := c.Value
		if c.Sensitive {
			v = "(sensitive)"
		}
		configs = append(configs, "  "+c.Name+" = "+v)
	}
	// The partitions get what the configs leave, but at least half.
	cfgH := 0
	if len(configs) > 0 {
		cfgH = min(len(configs)+2, h/2)
	}
	tblH := h - cfgH
	now := m.opts.Clock()
	s.tbl.cols = []column{
		{title: "P", min: 1, right: true},
		{title: "LEADER", min: 6, right: true},
		{title: "START", min: 5, right: true},
		{title: "END", min: 3, right: true},
		{title: "LOCAL START", min: 5, right: true},
		{title: "RECORDS", min: 7, right: true},
		{title: "SIZE", min: 4, right: true},
		{title: "LAST WRITE", min: 10, right: true},
	}
	for _, p := range s.d.Parts {
		if p.Err != nil {
			s.tbl.cols = append(s.tbl.cols, column{title: "ERROR", min: 5})
			break
		}
	}
	rows := make([][]string, len(s.d.Parts))
	for i, p := range s.d.Parts {
		errText := ""
		if p.Err != nil {
			errText = oneLine(p.Err.Error())
		}
		rows[i] = []string{
			fmt.Sprint(p.ID),
			fmt.Sprint(p.Leader),
			fmt.Sprint(p.Start),
			fmt.Sprint(p.End),
			fmt.Sprint(p.LocalStart),
			fmt.Sprint(p.End - p.Start),
			formatBytes(p.Bytes),
			formatAge(now, p.LastWrite),
			errText,
		}
	}
	out := s.tbl.render(m, rows, &s.list, w, tblH)
	if cfgH > 0 {
		out = append(out, "", m.st.title.Render("configs set on the topic"))
		out = append(out, configs[:min(len(configs), cfgH-2)]...)
	}
	return out
}
