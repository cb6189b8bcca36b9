package sqlcli

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	xansi "github.com/charmbracelet/x/ansi"
)

// The live table: in table mode, when the output is a terminal and a push
// query's rows are a table's changes with a key the shell can tell (key.go,
// resultKey), the shell keeps one line per key, in
// the order the keys first came, and rewrites a key's line in place when the
// key changes, as Flink's SQL client does in its table mode. Anywhere else
// (a pipe, a spool, a stream's rows, changelog and json modes) rows are
// appended as they arrive, one line a change.
//
// The screen while it runs; the cursor rests at the start of the line below
// the last row, where appending would write next:
//
//	+--------------------+--------------------+   header: liveHeaderLines lines
//	|NAME                |N                   |
//	+--------------------+--------------------+
//	|alice               |3                   |   rows[0]
//	|bob                 |2                   |   rows[1]
//	_                                             the cursor
//
// It writes these changes, each in one Write:
//
//	a new key       its line and "\n", below the last row
//	a key's update  CSI n A (up to its line), CR, CSI 2K (clear the line),
//	                the line, CR, CSI n B (back down)
//	a tombstone     up to the key's line, then the rows after it rewritten one
//	                line higher (CSI 2K, line, "\n" each) and the old last
//	                line cleared
//	a wider value   the column widens: up to the header, and the header and
//	                every row rewritten
//
// Moving up only works within the screen, and only while every line takes
// one screen line, so the table goes live only when its header fits in the
// terminal's width, and it keeps at most the terminal's height less the
// header and the cursor's line (liveRows). A new key beyond that, or a row
// that would not fit the width, ends the live table: a note says so and the
// later changes are appended. Values have their control characters escaped
// (a newline in a value would take two lines). The terminal's size is read
// when the query starts; resizing it while the query runs, or typing while
// it prints, can disturb the table (a new query draws it afresh).

// screenSize is a terminal's size in character cells.
type screenSize struct{ cols, rows int }

// maxLiveRows bounds a live table's rows whatever the terminal's height.
const maxLiveRows = 1000

// liveHeaderLines is the number of lines above a live table's first row:
// border, column names, border.
const liveHeaderLines = 3

// liveRows is how many rows a live table keeps on a terminal of size: the
// rows below the header that leave the cursor's line on the screen, at most
// maxLiveRows.
func liveRows(size screenSize) int {
	return min(maxLiveRows, size.rows-liveHeaderLines-1)
}

// liveTable is the state of a live table; the shell's goroutine owns it,
// through its resultPrinter.
type liveTable struct {
	p      *resultPrinter
	keyCol []int // the columns that make up a row's key
	size   screenSize
	max    int            // the most rows kept
	rows   [][]string     // the rows shown, in the order their keys came
	keys   []string       // rows[i]'s key
	index  map[string]int // rows' positions by key
}

// goLive makes p, in table mode for a push query and after header, keep one
// line per key on a terminal of size, the key being the columns keyCol. It
// returns false, and p goes on appending, when the terminal is too small
// for the header and a row or too narrow for the header, or a column's name
// has a control character (a quoted identifier may).
func (p *resultPrinter) goLive(keyCol []int, size screenSize) bool {
	if p.mode != outputTable || p.pull || p.widths == nil || len(keyCol) == 0 {
		return false
	}
	if slices.ContainsFunc(p.cols, func(c string) bool { return strings.ContainsFunc(c, unicode.IsControl) }) {
		return false
	}
	for _, i := range keyCol {
		if i < 0 || i >= len(p.cols) {
			return false
		}
	}
	if liveRows(size) < 1 || xansi.StringWidth(p.lineText("", p.cols)) >= size.cols {
		return false
	}
	p.live = &liveTable{p: p, keyCol: keyCol, size: size, max: liveRows(size), index: map[string]int{}}
	return true
}

// row shows one row of the answer: cells are its values as text.
func (l *liveTable) row(r StreamRow, cells []string) {
	p := l.p
	for i, c := range cells {
		cells[i] = visible(c)
	}
	if l.index == nil { // no longer live
		p.line("", cells)
		return
	}
	key := l.keyOf(r.Values)
	i, seen := l.index[key]
	if r.Tombstone {
		if seen {
			l.remove(i)
		}
		return
	}
	if !seen && len(l.rows) == l.max {
		l.stop(fmt.Sprintf("(The live table keeps %d rows, as many as the terminal shows: the rows of more keys follow, one a change.)", l.max))
		p.line("", cells)
		return
	}
	if seen && slices.Equal(l.rows[i], cells) {
		return
	}
	widths, grown := l.widen(cells)
	if !l.fits(widths, grown, cells) {
		l.stop("(A row is wider than the terminal: the changes follow, one a line.)")
		p.line("", cells)
		return
	}
	var b strings.Builder
	switch {
	case grown:
		p.widths = widths
		if seen {
			l.rows[i] = cells
		}
		l.redraw(&b)
		if !seen {
			l.add(key, cells)
			b.WriteString(p.lineText("", cells) + "\n")
		}
	case seen:
		l.rows[i] = cells
		up := len(l.rows) - i
		fmt.Fprintf(&b, "\x1b[%dA\r\x1b[2K%s\r\x1b[%dB", up, p.lineText("", cells), up)
	default:
		l.add(key, cells)
		b.WriteString(p.lineText("", cells) + "\n")
	}
	io.WriteString(p.w, b.String())
}

// keyOf is a row's key: its key columns' values as the server sent them.
func (l *liveTable) keyOf(vals []json.RawMessage) string {
	var b strings.Builder
	for _, i := range l.keyCol {
		if i < len(vals) {
			b.Write(vals[i])
		}
		b.WriteByte(0)
	}
	return b.String()
}

func (l *liveTable) add(key string, cells []string) {
	l.index[key] = len(l.rows)
	l.rows = append(l.rows, cells)
	l.keys = append(l.keys, key)
}

// widen returns the columns' widths with room for cells, and whether any
// grew (the widths are then a new slice).
func (l *liveTable) widen(cells []string) ([]int, bool) {
	widths, grown := l.p.widths, false
	for i, c := range cells {
		if n := utf8.RuneCountInString(c); i < len(widths) && n > widths[i] {
			if !grown {
				widths, grown = slices.Clone(widths), true
			}
			widths[i] = n
		}
	}
	return widths, grown
}

// fits reports whether, with the columns widths, the line of cells and, when
// the widths grew, the header and every row kept take less than the
// terminal's width (a line of exactly its width would leave the cursor in
// the terminal's pending wrap).
func (l *liveTable) fits(widths []int, grown bool, cells []string) bool {
	p := l.p
	old := p.widths
	p.widths = widths
	defer func() { p.widths = old }()
	fit := func(line string) bool { return xansi.StringWidth(line) < l.size.cols }
	if !fit(p.lineText("", cells)) {
		return false
	}
	if grown {
		if !fit(p.borderText()) || !fit(p.lineText("", p.cols)) {
			return false
		}
		for _, r := range l.rows {
			if !fit(p.lineText("", r)) {
				return false
			}
		}
	}
	return true
}

// redraw rewrites the header and every row kept, from the header's first
// line down; the cursor ends where it was.
func (l *liveTable) redraw(b *strings.Builder) {
	p := l.p
	fmt.Fprintf(b, "\x1b[%dA\r", len(l.rows)+liveHeaderLines)
	for _, line := range []string{p.borderText(), p.lineText("", p.cols), p.borderText()} {
		b.WriteString("\x1b[2K" + line + "\n")
	}
	for _, r := range l.rows {
		b.WriteString("\x1b[2K" + p.lineText("", r) + "\n")
	}
}

// remove takes row i off the screen: the rows after it move up a line.
func (l *liveTable) remove(i int) {
	p := l.p
	var b strings.Builder
	fmt.Fprintf(&b, "\x1b[%dA\r", len(l.rows)-i)
	delete(l.index, l.keys[i])
	l.rows = slices.Delete(l.rows, i, i+1)
	l.keys = slices.Delete(l.keys, i, i+1)
	for j := i; j < len(l.rows); j++ {
		l.index[l.keys[j]] = j
		b.WriteString("\x1b[2K" + p.lineText("", l.rows[j]) + "\n")
	}
	b.WriteString("\x1b[2K")
	io.WriteString(p.w, b.String())
}

// stop ends the live table with note; later rows are appended.
func (l *liveTable) stop(note string) {
	l.rows, l.keys, l.index = nil, nil, nil
	io.WriteString(l.p.w, note+"\n")
}

// visible escapes the control characters of a value (a newline, a tab, an
// escape sequence), which would move the cursor, as Go would quote them:
// "a\nb" shows as a\nb.
func visible(s string) string {
	if !strings.ContainsFunc(s, unicode.IsControl) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unicode.IsControl(r) {
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
