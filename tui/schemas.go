package tui

import (
	"context"
	"fmt"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/streamlite/streamlite/tui/cluster"
)

// subjectsScreen lists the registry's subjects.
type subjectsScreen struct {
	screenBase
	l        loader
	subjects []cluster.Subject
	list     cursorList
	tbl      table
}

func newSubjectsScreen(m *Model) *subjectsScreen {
	s := &subjectsScreen{}
	src := m.src
	s.l = loader{kind: "subjects", load: func(ctx context.Context) (any, error) {
		return src.Subjects(ctx)
	}}
	return s
}

func (s *subjectsScreen) name() string { return "schemas" }

func (s *subjectsScreen) info(*Model) string {
	if s.l.done {
		return plural(len(s.subjects), "subject", "subjects")
	}
	return ""
}

func (s *subjectsScreen) start(m *Model) tea.Cmd {
	if !m.src.HasRegistry() {
		return nil
	}
	return s.l.fetch(m, s)
}

func (s *subjectsScreen) bindings() []binding {
	return []binding{{"enter", "versions", 0}, {"j/k", "move", 8}}
}

func (s *subjectsScreen) update(m *Model, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case reply:
		v, ok, cmd := s.l.answer(m, s, msg)
		if ok {
			s.subjects = v.([]cluster.Subject)
		}
		return cmd
	case tick:
		return s.l.onTick(m, s, msg)
	case tea.KeyMsg:
		k := msg.String()
		if s.list.move(k, len(s.subjects)) {
			return nil
		}
		if k == "enter" && s.list.cursor < len(s.subjects) {
			return m.push(newVersionsScreen(m, s.subjects[s.list.cursor]))
		}
	}
	return nil
}

func (s *subjectsScreen) view(m *Model, w, h int) []string {
	if !m.src.HasRegistry() {
		return []string{"  no schema registry (--registry)"}
	}
	if !s.l.done {
		if s.l.err != nil {
			return []string{"  schema registry not reachable: " + oneLine(s.l.err.Error())}
		}
		return []string{"  loading subjects…"}
	}
	s.tbl.cols = []column{
		{title: "SUBJECT", min: 8},
		{title: "VERSIONS", min: 8, max: 20},
		{title: "LATEST ID", min: 9, right: true},
		{title: "TYPE", min: 4},
		{title: "COMPAT", min: 6},
	}
	rows := make([][]string, len(s.subjects))
	for i, sub := range s.subjects {
		typ := sub.LatestType
		if typ == "" {
			typ = "AVRO"
		}
		rows[i] = []string{sub.Name, joinInts(sub.Versions), fmt.Sprint(sub.LatestID), typ, sub.Compatibility}
	}
	out := s.tbl.render(m, rows, &s.list, w, h)
	if len(rows) == 0 {
		out = append(out, "  no subjects")
	}
	return out
}

// versionsScreen lists the versions of one subject.
type versionsScreen struct {
	screenBase
	subject  cluster.Subject
	l        loader
	versions []cluster.SchemaVersion
	list     cursorList
	tbl      table
}

func newVersionsScreen(m *Model, sub cluster.Subject) *versionsScreen {
	s := &versionsScreen{subject: sub}
	src := m.src
	s.l = loader{kind: "versions", load: func(ctx context.Context) (any, error) {
		out := make([]cluster.SchemaVersion, 0, len(sub.Versions))
		for i := len(sub.Versions) - 1; i >= 0; i-- { // newest first
			v, err := src.Schema(ctx, sub.Name, sub.Versions[i])
			if err != nil {
				return nil, fmt.Errorf("reading %s version %d: %w", sub.Name, sub.Versions[i], err)
			}
			out = append(out, v)
		}
		return out, nil
	}}
	s.list.cursor = 0
	return s
}

func (s *versionsScreen) name() string  { return "versions" }
func (s *versionsScreen) title() string { return s.subject.Name }
func (s *versionsScreen) info(*Model) string {
	return plural(len(s.subject.Versions), "version", "versions") + " · compatibility " + s.subject.Compatibility
}

func (s *versionsScreen) start(m *Model) tea.Cmd {
	if s.l.done {
		return nil
	}
	return s.l.fetch(m, s)
}

func (s *versionsScreen) bindings() []binding {
	return []binding{{"enter", "schema", 0}, {"j/k", "move", 8}}
}

func (s *versionsScreen) update(m *Model, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case reply:
		v, ok, cmd := s.l.answer(m, s, msg)
		if ok {
			s.versions = v.([]cluster.SchemaVersion)
		}
		return cmd
	case tick:
		return s.l.onTick(m, s, msg)
	case tea.KeyMsg:
		k := msg.String()
		if s.list.move(k, len(s.versions)) {
			return nil
		}
		if k == "enter" && s.list.cursor < len(s.versions) {
			return m.push(newSchemaScreen(s.versions[s.list.cursor]))
		}
	}
	return nil
}

func (s *versionsScreen) view(m *Model, w, h int) []string {
	if !s.l.done {
		return []string{"  loading versions…"}
	}
	s.tbl.cols = []column{
		{title: "VERSION", min: 7, right: true},
		{title: "ID", min: 2, right: true},
		{title: "TYPE", min: 4},
		{title: "REFERENCES", min: 10},
	}
	rows := make([][]string, len(s.versions))
	for i, v := range s.versions {
		typ := v.Type
		if typ == "" {
			typ = "AVRO"
		}
		rows[i] = []string{fmt.Sprint(v.Version), fmt.Sprint(v.ID), typ, strings.Join(v.References, ",")}
	}
	return s.tbl.render(m, rows, &s.list, w, h)
}

// textScreen shows a block of text (a schema, a query's SQL), scrollable.
type textScreen struct {
	screenBase
	kind, what string
	header     string
	tv         textView
}

func newSchemaScreen(v cluster.SchemaVersion) *textScreen {
	typ := v.Type
	if typ == "" {
		typ = "AVRO"
	}
	s := &textScreen{kind: "schema", what: fmt.Sprintf("%s v%d", v.Subject, v.Version),
		header: fmt.Sprintf("id %d · %s", v.ID, typ)}
	lines := strings.Split(strings.TrimRight(v.Text, "\n"), "\n")
	if len(v.References) > 0 {
		lines = append(lines, "", "references: "+strings.Join(v.References, ", "))
	}
	s.tv.setLines(lines)
	return s
}

func (s *textScreen) name() string  { return s.kind }
func (s *textScreen) title() string { return s.what }
func (s *textScreen) info(*Model) string {
	if p := s.tv.position(); p != "" {
		return s.header + " · " + p
	}
	return s.header
}

func (s *textScreen) bindings() []binding {
	return []binding{{"j/k", "scroll", 0}, {"d/u", "page", 1}, {"g/G", "top/bottom", 2}}
}

func (s *textScreen) update(m *Model, msg tea.Msg) tea.Cmd {
	if k, ok := msg.(tea.KeyMsg); ok {
		s.tv.key(k.String())
	}
	return nil
}

func (s *textScreen) view(m *Model, w, h int) []string { return s.tv.render(w, h) }
