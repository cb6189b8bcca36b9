package sqlcli

import (
	"strconv"
	"strings"
	"testing"
)

// screen is a tiny terminal for the tests: it interprets what the shell
// writes (text, CR, LF as the tty's CR LF, BS, TAB, and the CSI sequences
// for moving the cursor and erasing) on a screen of cols by rows cells,
// keeping the lines that scroll off above it, as a terminal's scrollback
// does. Cursor movements stop at the screen's edges, as a VT100's do;
// other escape sequences are ignored.
type screen struct {
	cols, rows int
	lines      [][]rune // scrollback then the screen
	top        int      // the screen's first line in lines
	row, col   int      // the cursor, row within lines
	wrap       bool     // the last write filled the line: the next wraps
}

func newScreen(cols, rows int) *screen {
	return &screen{cols: cols, rows: rows, lines: [][]rune{nil}}
}

func (s *screen) Write(p []byte) (int, error) {
	s.write(string(p))
	return len(p), nil
}

func (s *screen) write(text string) {
	rs := []rune(text)
	for i := 0; i < len(rs); i++ {
		switch r := rs[i]; r {
		case '\r':
			s.col, s.wrap = 0, false
		case '\n':
			s.col, s.wrap = 0, false
			s.down(1, true)
		case '\b':
			s.col, s.wrap = max(0, s.col-1), false
		case '\t':
			s.col = min(s.cols-1, (s.col/8+1)*8)
		case '\a':
		case 0x1b:
			i = s.escape(rs, i)
		default:
			if r < 0x20 {
				continue
			}
			if s.wrap {
				s.col, s.wrap = 0, false
				s.down(1, true)
			}
			s.put(r)
			if s.col == s.cols-1 {
				s.wrap = true
			} else {
				s.col++
			}
		}
	}
}

// down moves the cursor n lines down; at the screen's bottom it scrolls
// when scroll (a LF) and stops when not (CSI B).
func (s *screen) down(n int, scroll bool) {
	for range n {
		if s.row == s.top+s.rows-1 {
			if !scroll {
				return
			}
			s.top++
		}
		s.row++
		for len(s.lines) <= s.row {
			s.lines = append(s.lines, nil)
		}
	}
}

func (s *screen) put(r rune) {
	line := s.lines[s.row]
	for len(line) <= s.col {
		line = append(line, ' ')
	}
	line[s.col] = r
	s.lines[s.row] = line
}

// escape interprets the escape sequence at rs[i] and returns the index of
// its last rune.
func (s *screen) escape(rs []rune, i int) int {
	if i+1 >= len(rs) {
		return i
	}
	if rs[i+1] != '[' {
		return i + 1 // ESC 7, ESC 8 and the like: ignored
	}
	j := i + 2
	for j < len(rs) && (rs[j] >= '0' && rs[j] <= '9' || rs[j] == ';' || rs[j] == '?') {
		j++
	}
	if j >= len(rs) {
		return len(rs) - 1
	}
	params := string(rs[i+2 : j])
	if strings.HasPrefix(params, "?") {
		return j // private modes: ignored
	}
	arg := func(k, def int) int {
		f := strings.Split(params, ";")
		if k < len(f) {
			if n, err := strconv.Atoi(f[k]); err == nil && n > 0 {
				return n
			}
		}
		return def
	}
	s.wrap = false
	switch rs[j] {
	case 'A':
		s.row = max(s.top, s.row-arg(0, 1))
	case 'B':
		s.down(arg(0, 1), false)
	case 'C':
		s.col = min(s.cols-1, s.col+arg(0, 1))
	case 'D':
		s.col = max(0, s.col-arg(0, 1))
	case 'G':
		s.col = min(s.cols-1, arg(0, 1)-1)
	case 'H':
		s.row = s.top
		s.down(arg(0, 1)-1, false)
		s.col = min(s.cols-1, arg(1, 1)-1)
	case 'K':
		line := s.lines[s.row]
		switch arg(0, 0) {
		case 0:
			s.lines[s.row] = line[:min(s.col, len(line))]
		case 1:
			for k := 0; k <= s.col && k < len(line); k++ {
				line[k] = ' '
			}
		case 2:
			s.lines[s.row] = nil
		}
	case 'J':
		if arg(0, 0) == 0 {
			s.lines[s.row] = s.lines[s.row][:min(s.col, len(s.lines[s.row]))]
			for k := s.row + 1; k < len(s.lines); k++ {
				s.lines[k] = nil
			}
		}
	}
	return j
}

// text is every line, scrollback and screen, without trailing blanks, and
// without the blank lines at the end.
func (s *screen) text() string {
	var b strings.Builder
	for _, l := range s.lines {
		b.WriteString(strings.TrimRight(string(l), " "))
		b.WriteByte('\n')
	}
	return strings.TrimRight(b.String(), "\n") + "\n"
}

// linesWith returns the lines that contain sub.
func (s *screen) linesWith(sub string) []string {
	var out []string
	for _, l := range strings.Split(s.text(), "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return out
}

// TestScreen checks the test terminal itself on the sequences the live
// table writes.
func TestScreen(t *testing.T) {
	s := newScreen(10, 3)
	s.write("a\nbb\ncc\x1b[2A\r\x1b[2Kxy\r\x1b[2B")
	if got, want := s.text(), "xy\nbb\ncc\n"; got != want {
		t.Errorf("screen:\n%q\nwant\n%q", got, want)
	}
	if s.row != 2 || s.col != 0 {
		t.Errorf("cursor at %d,%d, want 2,0", s.row, s.col)
	}
	s.write("\nd\x1b[9A") // scrolls "xy" off; up stops at the screen's top
	s.write("Z")
	if got, want := s.text(), "xy\nbZ\ncc\nd\n"; got != want {
		t.Errorf("screen:\n%q\nwant\n%q", got, want)
	}
	s = newScreen(4, 3)
	s.write("abcdef")
	if got, want := s.text(), "abcd\nef\n"; got != want {
		t.Errorf("wrap:\n%q\nwant\n%q", got, want)
	}
}
