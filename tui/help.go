package tui

import (
	"fmt"
	"sort"
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// globalBindings are the keys every screen has.
func (m *Model) globalBindings() []binding {
	bs := []binding{
		{":", "command", 2},
		{"?", "help", 1},
	}
	if len(m.stack) > 1 {
		bs = append(bs, binding{"esc", "back", 3})
	} else {
		bs = append(bs, binding{"q", "quit", 3})
	}
	if m.fail != nil && m.fail.retry != nil {
		bs = append(bs, binding{"r", "retry", 0})
	}
	bs = append(bs, binding{"ctrl-c", "quit", 10})
	return bs
}

// footerLine shows the command line when it is open, else the keys of the screen and the
// global ones that fit in w, dropping the least important first.
func (m *Model) footerLine(s screen, w int) string {
	if m.cmd != nil {
		return fit(m.cmdView(w), w)
	}
	var all []binding
	switch {
	case m.help:
		all = []binding{{"esc", "close help", 0}}
	case s.capturesKeys():
		all = s.bindings()
	default:
		all = append(s.bindings(), m.globalBindings()...)
	}
	item := func(b binding) string { return b.keys + " " + b.help }
	// Keep the most important that fit, in the order shown.
	order := make([]int, len(all))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return all[order[a]].prio < all[order[b]].prio })
	keep := make([]bool, len(all))
	used := 0
	for _, i := range order {
		iw := ansi.StringWidth(item(all[i]))
		if used > 0 {
			iw += 2
		}
		if used+iw > w {
			continue
		}
		keep[i] = true
		used += iw
	}
	var parts []string
	for i, b := range all {
		if keep[i] {
			parts = append(parts, m.st.key.Render(b.keys)+" "+m.st.dim.Render(b.help))
		}
	}
	return strings.Join(parts, "  ")
}

// helpView lists the keys of screen s and the global keys.
func (m *Model) helpView(s screen, w, h int) []string {
	var lines []string
	section := func(title string, bs []binding) {
		lines = append(lines, m.st.title.Render(title))
		kw := 0
		for _, b := range bs {
			kw = max(kw, ansi.StringWidth(b.keys))
		}
		for _, b := range bs {
			lines = append(lines, fit("  "+m.st.key.Render(pad(b.keys, kw, false))+"  "+b.help, w))
		}
		lines = append(lines, "")
	}
	section(s.name()+" keys", s.bindings())
	section("global keys", []binding{
		{":", "command line (tab completes):", 0},
		{"", "  topics  groups  schemas  queries  q", 0},
		{"", "  topic NAME  records NAME  group ID", 0},
		{"?", "this help (esc closes)", 0},
		{"j/k ↑/↓", "move", 0},
		{"d/u pgdn/pgup", "page down/up (d/u wherever a screen has no other use for them)", 0},
		{"g/G", "top/bottom", 0},
		{"enter", "open", 0},
		{"esc", "back", 0},
		{"q", "back, quit at the first screen", 0},
		{"r", "retry now while an error shows (before a screen's own r)", 0},
		{"ctrl-c", "quit", 0},
	})
	lines = append(lines, fit(fmt.Sprintf("records screens keep the newest %d records; paging up past the oldest kept is not supported.", m.opts.MaxRecords), w))
	if len(lines) > h {
		lines = lines[:h]
	}
	return lines
}
