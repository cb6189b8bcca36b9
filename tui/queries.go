package tui

import (
	"context"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/streamlite/streamlite/tui/cluster"
)

// queriesScreen lists the SQL server's persistent queries and their counters.
type queriesScreen struct {
	screenBase
	l       loader
	queries []cluster.Query
	list    cursorList
	tbl     table
}

func newQueriesScreen(m *Model) *queriesScreen {
	s := &queriesScreen{}
	src := m.src
	s.l = loader{kind: "queries", every: m.opts.Refresh, load: func(ctx context.Context) (any, error) {
		return src.Queries(ctx)
	}}
	return s
}

func (s *queriesScreen) name() string { return "queries" }

func (s *queriesScreen) info(*Model) string {
	if s.l.done {
		return plural(len(s.queries), "query", "queries")
	}
	return ""
}

func (s *queriesScreen) start(m *Model) tea.Cmd {
	if !m.src.HasSQL() {
		return nil
	}
	return s.l.fetch(m, s)
}

func (s *queriesScreen) bindings() []binding {
	return []binding{{"enter", "SQL", 0}, {"j/k", "move", 8}}
}

func (s *queriesScreen) update(m *Model, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case reply:
		v, ok, cmd := s.l.answer(m, s, msg)
		if ok {
			s.queries = v.([]cluster.Query)
		}
		return cmd
	case tick:
		return s.l.onTick(m, s, msg)
	case tea.KeyMsg:
		k := msg.String()
		if s.list.move(k, len(s.queries)) {
			return nil
		}
		if k == "enter" && s.list.cursor < len(s.queries) {
			q := s.queries[s.list.cursor]
			t := &textScreen{kind: "query", what: q.ID, header: q.State}
			sql := strings.TrimSpace(q.SQL)
			if sql == "" {
				sql = "(the SQL server did not send this query's statement)"
			}
			t.tv.setLines(strings.Split(sql, "\n"))
			return m.push(t)
		}
	}
	return nil
}

func (s *queriesScreen) view(m *Model, w, h int) []string {
	if !m.src.HasSQL() {
		return []string{"  no SQL server (--sql-server)"}
	}
	if !s.l.done {
		if s.l.err != nil {
			return []string{"  SQL server not reachable: " + oneLine(s.l.err.Error())}
		}
		return []string{"  loading queries…"}
	}
	s.tbl.cols = []column{
		{title: "ID", min: 8},
		{title: "STATE", min: 5, max: 12},
		{title: "SOURCES", min: 7},
		{title: "SINKS", min: 5},
		{title: "PROCESSED", min: 9, right: true},
		{title: "SKIPPED", min: 7, right: true},
		{title: "LATE", min: 4, right: true},
	}
	rows := make([][]string, len(s.queries))
	for i, q := range s.queries {
		rows[i] = []string{q.ID, q.State, strings.Join(q.Sources, ","), strings.Join(q.Sinks, ","),
			formatCount(q.Processed), formatCount(q.Skipped), formatCount(q.Late)}
	}
	out := s.tbl.render(m, rows, &s.list, w, h)
	if len(rows) == 0 {
		out = append(out, "  no persistent queries")
	}
	return out
}
