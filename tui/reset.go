package tui

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/streamlite/streamlite/tui/cluster"
)

// resetScreen resets a group's offsets in three steps: pick where to (earliest, latest,
// an offset, a time), look at the dry-run plan (From -> To per partition), press y.
type resetScreen struct {
	screenBase
	group  string
	phase  resetPhase
	choice cursorList
	input  *textinput.Model
	target cluster.ResetTarget
	plan   loader
	apply  loader
	change []cluster.OffsetChange
	list   cursorList
	tbl    table
}

type resetPhase int

const (
	resetPick resetPhase = iota
	resetInput
	resetPlanning
	resetPlan
	resetApplying
)

var resetTargets = []struct{ key, to, help string }{
	{"e", "earliest", "the log start of each partition"},
	{"l", "latest", "the end of each partition (skip everything)"},
	{"o", "offset", "one offset for every partition (clamped to its range)"},
	{"t", "time", "the first record at or after a time (RFC 3339 or -5m)"},
}

func newResetScreen(m *Model, group string) *resetScreen {
	return &resetScreen{group: group}
}

func (s *resetScreen) name() string  { return "reset" }
func (s *resetScreen) title() string { return s.group }

func (s *resetScreen) info(*Model) string {
	switch s.phase {
	case resetPlan:
		return fmt.Sprintf("dry run: %d partitions to %s", len(s.change), targetText(s.target))
	case resetPlanning:
		return "planning…"
	case resetApplying:
		return "applying…"
	}
	return "all topics of the group"
}

func targetText(t cluster.ResetTarget) string {
	switch t.To {
	case "offset":
		return "offset " + strconv.FormatInt(t.Offset, 10)
	case "time":
		return t.Time.UTC().Format(time.RFC3339)
	}
	return t.To
}

func (s *resetScreen) capturesKeys() bool { return s.input != nil }

func (s *resetScreen) bindings() []binding {
	switch s.phase {
	case resetInput:
		return []binding{{"enter", "plan", 0}, {"esc", "cancel", 0}}
	case resetPlan:
		return []binding{{"y", "apply", 0}, {"j/k", "move", 5}}
	}
	return []binding{{"enter", "choose", 0}, {"e/l/o/t", "earliest/latest/offset/time", 1}}
}

func (s *resetScreen) update(m *Model, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case reply:
		switch msg.kind {
		case "plan":
			v, ok, _ := s.plan.answer(m, s, msg)
			if ok {
				s.change = v.([]cluster.OffsetChange)
				s.phase = resetPlan
			} else if s.plan.err != nil {
				m.fail.hint = "" // no automatic retry of a plan: press R again
				m.fail.retry = nil
				s.phase = resetPick
			}
		case "apply":
			_, ok, _ := s.apply.answer(m, s, msg)
			if ok {
				n := len(s.change)
				cmd := m.pop()
				m.status = fmt.Sprintf("reset %d partitions of group %s to %s", n, s.group, targetText(s.target))
				return cmd
			}
			if s.apply.err != nil {
				m.fail.hint, m.fail.retry = "", nil
				s.phase = resetPlan
			}
		}
		return nil
	case tick: // plan and apply do not retry by themselves
		return nil
	case tea.KeyMsg:
		return s.key(m, msg)
	}
	return nil
}

func (s *resetScreen) key(m *Model, msg tea.KeyMsg) tea.Cmd {
	k := msg.String()
	switch s.phase {
	case resetPick:
		if s.choice.move(k, len(resetTargets)) {
			return nil
		}
		for i, t := range resetTargets {
			if k == t.key {
				s.choice.cursor = i
				return s.choose(m)
			}
		}
		if k == "enter" {
			return s.choose(m)
		}
	case resetInput:
		switch k {
		case "esc":
			s.input = nil
			s.phase = resetPick
			return nil
		case "enter":
			t, err := parseTarget(s.target.To, s.input.Value(), m.opts.Clock())
			if err != nil {
				m.fail = &failure{screen: s.id(), text: err.Error()}
				return nil
			}
			s.input = nil
			return s.planFor(m, t)
		}
		cmd, _ := updateInput(s.input, msg)
		return cmd
	case resetPlan:
		if s.list.move(k, len(s.change)) {
			return nil
		}
		if k == "y" {
			return s.applyPlan(m)
		}
	}
	return nil
}

func (s *resetScreen) choose(m *Model) tea.Cmd {
	to := resetTargets[s.choice.cursor].to
	switch to {
	case "offset", "time":
		s.target = cluster.ResetTarget{To: to}
		prompt, hint := "offset: ", "e.g. 42"
		if to == "time" {
			prompt, hint = "time: ", "RFC 3339 (2024-05-01T12:00:00Z) or relative (-5m)"
		}
		s.input = newFocusedInput(&m.st, prompt, hint)
		s.phase = resetInput
		return nil
	}
	return s.planFor(m, cluster.ResetTarget{To: to})
}

func (s *resetScreen) planFor(m *Model, t cluster.ResetTarget) tea.Cmd {
	s.target = t
	s.phase = resetPlanning
	src, group := m.src, s.group
	s.plan = loader{kind: "plan", load: func(ctx context.Context) (any, error) {
		return src.PlanReset(ctx, group, "", t)
	}}
	return s.plan.fetch(m, s)
}

func (s *resetScreen) applyPlan(m *Model) tea.Cmd {
	s.phase = resetApplying
	src, group, change := m.src, s.group, s.change
	s.apply = loader{kind: "apply", load: func(ctx context.Context) (any, error) {
		return nil, src.ApplyReset(ctx, group, change)
	}}
	return s.apply.fetch(m, s)
}

// parseTarget reads the offset or time typed for a reset.
func parseTarget(to, text string, now time.Time) (cluster.ResetTarget, error) {
	text = strings.TrimSpace(text)
	if to == "offset" {
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil || n < 0 {
			return cluster.ResetTarget{}, fmt.Errorf("offset %q: want a number >= 0", text)
		}
		return cluster.ResetTarget{To: "offset", Offset: n}, nil
	}
	t, err := parseTime(text, now)
	if err != nil {
		return cluster.ResetTarget{}, err
	}
	return cluster.ResetTarget{To: "time", Time: t}, nil
}

// parseTime reads a start time: RFC 3339, or a negative duration relative to now ("-5m",
// "-1h30m").
func parseTime(text string, now time.Time) (time.Time, error) {
	text = strings.TrimSpace(text)
	if strings.HasPrefix(text, "-") {
		d, err := time.ParseDuration(text)
		if err == nil {
			return now.Add(d), nil
		}
	}
	t, err := time.Parse(time.RFC3339, text)
	if err != nil {
		return time.Time{}, fmt.Errorf("time %q: want RFC 3339 (2024-05-01T12:00:00Z) or a relative time (-5m)", text)
	}
	return t, nil
}

func (s *resetScreen) view(m *Model, w, h int) []string {
	switch s.phase {
	case resetPick, resetInput:
		out := []string{fmt.Sprintf("  reset the offsets of group %s (every topic it has offsets for) to:", s.group), ""}
		for i, t := range resetTargets {
			mark := markerOff
			if i == s.choice.cursor {
				mark = markerSel
			}
			line := fit(fmt.Sprintf("%s%s  %-8s  %s", mark, t.key, t.to, t.help), w)
			if i == s.choice.cursor {
				line = m.st.selected.Render(line)
			}
			out = append(out, line)
		}
		if s.input != nil {
			out = append(out, "", "  "+inputView(s.input, w-2))
		}
		out = append(out, "", "  nothing is written before the dry run is shown and y is pressed")
		return out
	case resetPlanning:
		return []string{"  computing the plan…"}
	}
	s.tbl.cols = []column{
		{title: "TOPIC", min: 8},
		{title: "P", min: 1, right: true},
		{title: "FROM", min: 4, right: true},
		{title: "", min: 2},
		{title: "TO", min: 2, right: true},
		{title: "CHANGE", min: 6, right: true},
	}
	rows := make([][]string, len(s.change))
	for i, c := range s.change {
		from := formatCount(c.From)
		rows[i] = []string{c.Topic, fmt.Sprint(c.Partition), from, "->", fmt.Sprint(c.To), signed(c.To - max(c.From, 0))}
	}
	out := s.tbl.render(m, rows, &s.list, w, h-2)
	out = append(out, "", fmt.Sprintf("  dry run: nothing written yet. y applies to group %s, esc cancels", s.group))
	return out
}

func signed(n int64) string {
	if n > 0 {
		return "+" + strconv.FormatInt(n, 10)
	}
	return strconv.FormatInt(n, 10)
}
