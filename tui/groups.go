package tui

import (
	"context"
	"fmt"
	"sort"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/streamlite/streamlite/tui/cluster"
)

// trendLen is how many total-lag samples the TREND sparkline of a group shows.
const trendLen = 20

// groupsScreen lists the consumer groups with their lag and its trend.
type groupsScreen struct {
	screenBase
	l      loader
	groups []cluster.Group
	byLag  bool // `s`: sort by lag (default) or by id
	list   cursorList
	tbl    table
}

func newGroupsScreen(m *Model) *groupsScreen {
	s := &groupsScreen{byLag: true}
	src := m.src
	s.l = loader{kind: "groups", every: m.opts.Refresh, load: func(ctx context.Context) (any, error) {
		return src.Groups(ctx)
	}}
	return s
}

func (s *groupsScreen) name() string { return "groups" }

func (s *groupsScreen) info(m *Model) string {
	if !s.l.done {
		return "loading…"
	}
	by := "id"
	if s.byLag {
		by = "lag"
	}
	var total int64
	for _, g := range s.groups {
		total += max(g.Lag, 0)
	}
	return fmt.Sprintf("%s · total lag %d · sort: %s", plural(len(s.groups), "group", "groups"), total, by)
}

func (s *groupsScreen) start(m *Model) tea.Cmd { return s.l.fetch(m, s) }

func (s *groupsScreen) bindings() []binding {
	return []binding{{"enter", "open", 0}, {"s", "sort", 2}, {"j/k", "move", 8}}
}

func (s *groupsScreen) update(m *Model, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case reply:
		v, ok, cmd := s.l.answer(m, s, msg)
		if ok {
			sel := s.selectedID()
			s.groups = v.([]cluster.Group)
			m.knownGroups = m.knownGroups[:0]
			for _, g := range s.groups {
				m.knownGroups = append(m.knownGroups, g.ID)
				if g.Lag >= 0 {
					t := append(m.lagTrend[g.ID], g.Lag)
					if len(t) > trendLen {
						t = t[len(t)-trendLen:]
					}
					m.lagTrend[g.ID] = t
				}
			}
			s.sort(sel)
		}
		return cmd
	case tick:
		return s.l.onTick(m, s, msg)
	case tea.KeyMsg:
		k := msg.String()
		if s.list.move(k, len(s.groups)) {
			return nil
		}
		switch k {
		case "enter":
			if id := s.selectedID(); id != "" {
				return m.push(newGroupScreen(m, id))
			}
		case "s":
			s.byLag = !s.byLag
			s.sort(s.selectedID())
		}
	}
	return nil
}

func (s *groupsScreen) selectedID() string {
	if s.list.cursor < len(s.groups) {
		return s.groups[s.list.cursor].ID
	}
	return ""
}

func (s *groupsScreen) sort(keep string) {
	sort.SliceStable(s.groups, func(i, j int) bool {
		a, b := s.groups[i], s.groups[j]
		if s.byLag && a.Lag != b.Lag {
			return a.Lag > b.Lag
		}
		return a.ID < b.ID
	})
	for i, g := range s.groups {
		if g.ID == keep {
			s.list.cursor = i
		}
	}
	s.list.clamp(len(s.groups))
}

func (s *groupsScreen) view(m *Model, w, h int) []string {
	s.tbl.cols = []column{
		{title: "ID", min: 8},
		{title: "STATE", min: 5, max: 18},
		{title: "MEMBERS", min: 7, right: true},
		{title: "LAG", min: 3, right: true},
		{title: "TREND", min: 5, max: trendLen},
		{title: "TOPICS", min: 6},
	}
	if s.byLag {
		s.tbl.cols[3].title = "LAG↓"
	} else {
		s.tbl.cols[0].title = "ID↓"
	}
	rows := make([][]string, len(s.groups))
	for i, g := range s.groups {
		rows[i] = []string{
			g.ID, g.State, fmt.Sprint(g.Members), formatCount(g.Lag),
			sparkline(m.lagTrend[g.ID]), strings.Join(g.Topics, ","),
		}
	}
	out := s.tbl.render(m, rows, &s.list, w, h)
	switch {
	case !s.l.done && s.l.err == nil:
		out = append(out, "  loading groups…")
	case s.l.done && len(s.groups) == 0:
		out = append(out, "  no consumer groups")
	}
	return out
}

// groupScreen is one group: its members and their assignments, and per partition the
// committed offset, the end and the lag. `R` resets its offsets.
type groupScreen struct {
	screenBase
	group string
	l     loader
	d     *cluster.GroupDetail
	list  cursorList
	tbl   table
	mtbl  table
}

func newGroupScreen(m *Model, id string) *groupScreen {
	s := &groupScreen{group: id}
	src := m.src
	s.l = loader{kind: "group", every: m.opts.Refresh, load: func(ctx context.Context) (any, error) {
		return src.Group(ctx, id)
	}}
	return s
}

func (s *groupScreen) name() string  { return "group" }
func (s *groupScreen) title() string { return s.group }

func (s *groupScreen) info(m *Model) string {
	if s.d == nil {
		return "loading…"
	}
	g := s.d.Group
	parts := []string{g.State}
	if g.Protocol != "" {
		parts = append(parts, g.Protocol)
	}
	parts = append(parts, plural(g.Members, "member", "members"), "lag "+formatCount(g.Lag))
	return strings.Join(parts, " · ")
}

func (s *groupScreen) start(m *Model) tea.Cmd { return s.l.fetch(m, s) }

func (s *groupScreen) bindings() []binding {
	return []binding{{"R", "reset offsets", 0}, {"j/k", "move", 8}, {"d/u", "page", 9}}
}

func (s *groupScreen) update(m *Model, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case reply:
		v, ok, cmd := s.l.answer(m, s, msg)
		if ok {
			d := v.(cluster.GroupDetail)
			s.d = &d
		}
		return cmd
	case tick:
		return s.l.onTick(m, s, msg)
	case tea.KeyMsg:
		k := msg.String()
		n := 0
		if s.d != nil {
			n = len(s.d.Offsets)
		}
		if s.list.move(k, n) {
			return nil
		}
		if k == "R" {
			return m.push(newResetScreen(m, s.group))
		}
	}
	return nil
}

func (s *groupScreen) view(m *Model, w, h int) []string {
	if s.d == nil {
		return []string{"  loading " + s.group + "…"}
	}
	var out []string
	if len(s.d.Members) > 0 {
		s.mtbl.cols = []column{
			{title: "MEMBER", min: 8, max: 40},
			{title: "CLIENT", min: 6, max: 24},
			{title: "HOST", min: 4, max: 24},
			{title: "ASSIGNED", min: 8},
		}
		rows := make([][]string, len(s.d.Members))
		for i, mb := range s.d.Members {
			id := mb.ID
			if mb.InstanceID != "" {
				id = mb.InstanceID + " (" + mb.ID + ")"
			}
			rows[i] = []string{id, mb.ClientID, mb.Host, assignmentText(mb.Assigned)}
		}
		mh := min(len(rows)+1, max(h/3, 2))
		out = append(out, s.mtbl.render(m, rows, nil, w, mh)...)
		out = append(out, "")
	} else {
		out = append(out, "  no members", "")
	}
	s.tbl.cols = []column{
		{title: "TOPIC", min: 8},
		{title: "P", min: 1, right: true},
		{title: "COMMITTED", min: 9, right: true},
		{title: "END", min: 3, right: true},
		{title: "LAG", min: 3, right: true},
		{title: "MEMBER", min: 6},
	}
	rows := make([][]string, len(s.d.Offsets))
	for i, o := range s.d.Offsets {
		committed := formatCount(o.Committed)
		rows[i] = []string{o.Topic, fmt.Sprint(o.Partition), committed, fmt.Sprint(o.End), fmt.Sprint(o.Lag), o.Member}
	}
	out = append(out, s.tbl.render(m, rows, &s.list, w, h-len(out))...)
	if len(rows) == 0 {
		out = append(out, "  no committed offsets")
	}
	return out
}

// assignmentText renders a member's assignment: "orders[0,1] payments[2]".
func assignmentText(a map[string][]int32) string {
	topics := make([]string, 0, len(a))
	for t := range a {
		topics = append(topics, t)
	}
	sort.Strings(topics)
	var parts []string
	for _, t := range topics {
		ps := append([]int32(nil), a[t]...)
		sort.Slice(ps, func(i, j int) bool { return ps[i] < ps[j] })
		parts = append(parts, t+"["+joinInts(ps)+"]")
	}
	return strings.Join(parts, " ")
}
