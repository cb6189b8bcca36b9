package tui

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// cursorList is the selection and scroll position of a list of n rows shown page rows at
// a time. Paging is pgdown/pgup everywhere and d/u where the screen has no other use for
// them (every list screen); g/G and home/end jump to the ends.
type cursorList struct {
	cursor, offset int
	page           int // rows shown by the last view
}

// move handles a navigation key for a list of n rows; it reports whether k was one.
func (c *cursorList) move(k string, n int) bool {
	page := max(c.page, 1)
	switch k {
	case "j", "down":
		c.cursor++
	case "k", "up":
		c.cursor--
	case "d", "pgdown", " ":
		c.cursor += page
	case "u", "pgup":
		c.cursor -= page
	case "g", "home":
		c.cursor = 0
	case "G", "end":
		c.cursor = n - 1
	default:
		return false
	}
	c.clamp(n)
	return true
}

func (c *cursorList) clamp(n int) {
	if c.cursor >= n {
		c.cursor = n - 1
	}
	if c.cursor < 0 {
		c.cursor = 0
	}
}

// window returns the first row to show so that the cursor is visible in h rows.
func (c *cursorList) window(n, h int) int {
	c.page = h
	c.clamp(n)
	if h <= 0 {
		return 0
	}
	if c.cursor < c.offset {
		c.offset = c.cursor
	}
	if c.cursor >= c.offset+h {
		c.offset = c.cursor - h + 1
	}
	if c.offset > n-h {
		c.offset = max(n-h, 0)
	}
	return c.offset
}

// column is one column of a table.
type column struct {
	title string
	min   int  // narrowest it gets before columns after it are cut off
	max   int  // widest it gets; 0: no cap
	right bool // right-aligned (numbers)
}

const (
	colGap    = 2
	markerSel = "> "
	markerOff = "  "
)

// table lays out rows under cols in w cells: columns get their natural width (widest cell
// or title, capped by max); when that is too wide, the widest columns shrink first, down
// to their min; cells are cut with "…", never wrapped. Every row starts with the
// selection marker column ("> " on the selected row).
type table struct {
	cols   []column
	widths []int
}

// layout computes the column widths for rows in w cells.
func (t *table) layout(rows [][]string, w int) {
	n := len(t.cols)
	if cap(t.widths) < n {
		t.widths = make([]int, n)
	}
	t.widths = t.widths[:n]
	for i, c := range t.cols {
		t.widths[i] = ansi.StringWidth(c.title)
	}
	for _, r := range rows {
		for i := 0; i < n && i < len(r); i++ {
			if cw := ansi.StringWidth(r[i]); cw > t.widths[i] {
				t.widths[i] = cw
			}
		}
	}
	total := len(markerSel)
	for i, c := range t.cols {
		if c.max > 0 && t.widths[i] > c.max {
			t.widths[i] = c.max
		}
		if t.widths[i] > 0 {
			total += t.widths[i] + colGap
		}
	}
	total -= colGap
	// Shrink the widest shrinkable column one cell at a time.
	for total > w {
		best := -1
		for i, c := range t.cols {
			if t.widths[i] > c.min && (best < 0 || t.widths[i] > t.widths[best]) {
				best = i
			}
		}
		if best < 0 {
			break
		}
		t.widths[best]--
		total--
	}
}

// header renders the column titles.
func (t *table) header(m *Model, w int) string {
	var b strings.Builder
	b.WriteString(markerOff)
	first := true
	for i, c := range t.cols {
		if t.widths[i] == 0 {
			continue // an empty column takes no room
		}
		if !first {
			b.WriteString(strings.Repeat(" ", colGap))
		}
		first = false
		b.WriteString(pad(c.title, t.widths[i], c.right))
	}
	return m.st.colHead.Render(fit(strings.TrimRight(b.String(), " "), w))
}

// row renders one row; sel marks and styles it as the selection.
func (t *table) row(m *Model, cells []string, sel bool, w int) string {
	var b strings.Builder
	if sel {
		b.WriteString(markerSel)
	} else {
		b.WriteString(markerOff)
	}
	first := true
	for i, c := range t.cols {
		if t.widths[i] == 0 {
			continue
		}
		if !first {
			b.WriteString(strings.Repeat(" ", colGap))
		}
		first = false
		cell := ""
		if i < len(cells) {
			cell = cells[i]
		}
		b.WriteString(pad(cell, t.widths[i], c.right))
	}
	line := fit(strings.TrimRight(b.String(), " "), w)
	if sel {
		return m.st.selected.Render(line)
	}
	return line
}

// render lays out rows and draws the header and the rows visible in h lines (header
// included) around the cursor of cl; cl nil means no selection.
func (t *table) render(m *Model, rows [][]string, cl *cursorList, w, h int) []string {
	t.layout(rows, w)
	out := []string{t.header(m, w)}
	if h <= 1 {
		return out[:max(h, 0)]
	}
	first := 0
	sel := -1
	if cl != nil {
		first = cl.window(len(rows), h-1)
		sel = cl.cursor
	}
	for i := first; i < len(rows) && len(out) < h; i++ {
		out = append(out, t.row(m, rows[i], i == sel, w))
	}
	return out
}

// pad cuts s to w cells and pads it to w, on the left when right is set.
func pad(s string, w int, right bool) string {
	sw := ansi.StringWidth(s)
	if sw > w {
		if w <= 0 {
			return ""
		}
		return ansi.Truncate(s, w, "…")
	}
	if sw == w {
		return s
	}
	if right {
		return strings.Repeat(" ", w-sw) + s
	}
	return s + strings.Repeat(" ", w-sw)
}
