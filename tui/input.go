package tui

import (
	"strings"
	"unicode"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
)

// input is a text input: one line, or several when multiline (enter then breaks the
// line). It is the model's own rather than bubbles' textinput and textarea, which need a
// system clipboard module this repository does not carry; it has no timers (the cursor
// does not blink) and draws the cursor with the reverse style, so with the Ascii profile
// the cursor is not drawn.
//
// Keys: characters and paste insert; left/right, home/ctrl-a, end/ctrl-e move;
// backspace, delete, ctrl-w (word), ctrl-u (to the start), ctrl-k (to the end) delete;
// with multiline, enter breaks the line and up/down move between lines.
type input struct {
	st          *styles
	prompt      string
	placeholder string
	multiline   bool
	value       []rune
	pos         int
	focused     bool
	// completions, when set, are what tab completes the value to (the command line).
	completions []string
}

func newInput(st *styles, prompt, placeholder string) *input {
	return &input{st: st, prompt: prompt, placeholder: placeholder}
}

func (in *input) Value() string { return string(in.value) }

func (in *input) SetValue(s string) {
	in.value = []rune(s)
	in.pos = len(in.value)
}

// update applies a key; it reports whether the key was the input's.
func (in *input) update(k tea.KeyMsg) bool {
	switch k.Type {
	case tea.KeyRunes:
		in.insert(k.Runes)
	case tea.KeySpace:
		in.insert([]rune{' '})
	case tea.KeyEnter:
		if !in.multiline {
			return false
		}
		in.insert([]rune{'\n'})
	case tea.KeyBackspace:
		if in.pos > 0 {
			in.value = append(in.value[:in.pos-1], in.value[in.pos:]...)
			in.pos--
		}
	case tea.KeyDelete:
		if in.pos < len(in.value) {
			in.value = append(in.value[:in.pos], in.value[in.pos+1:]...)
		}
	case tea.KeyLeft:
		in.pos = max(in.pos-1, 0)
	case tea.KeyRight:
		in.pos = min(in.pos+1, len(in.value))
	case tea.KeyHome, tea.KeyCtrlA:
		in.pos = in.lineStart()
	case tea.KeyEnd, tea.KeyCtrlE:
		in.pos = in.lineEnd()
	case tea.KeyCtrlU:
		start := in.lineStart()
		in.value = append(in.value[:start], in.value[in.pos:]...)
		in.pos = start
	case tea.KeyCtrlK:
		end := in.lineEnd()
		in.value = append(in.value[:in.pos], in.value[end:]...)
	case tea.KeyCtrlW:
		i := in.pos
		for i > 0 && unicode.IsSpace(in.value[i-1]) {
			i--
		}
		for i > 0 && !unicode.IsSpace(in.value[i-1]) {
			i--
		}
		in.value = append(in.value[:i], in.value[in.pos:]...)
		in.pos = i
	case tea.KeyUp, tea.KeyDown:
		if !in.multiline {
			return false
		}
		in.verticalMove(k.Type == tea.KeyUp)
	case tea.KeyTab:
		if in.completions == nil {
			return false
		}
		in.complete()
	default:
		return false
	}
	return true
}

func (in *input) insert(rs []rune) {
	clean := make([]rune, 0, len(rs))
	for _, r := range rs {
		switch {
		case r == '\n' || r == '\r':
			if in.multiline {
				clean = append(clean, '\n')
			} else {
				clean = append(clean, ' ')
			}
		case r == '\t':
			clean = append(clean, ' ')
		case unicode.IsControl(r):
		default:
			clean = append(clean, r)
		}
	}
	v := make([]rune, 0, len(in.value)+len(clean))
	v = append(v, in.value[:in.pos]...)
	v = append(v, clean...)
	v = append(v, in.value[in.pos:]...)
	in.value = v
	in.pos += len(clean)
}

func (in *input) lineStart() int {
	i := in.pos
	for i > 0 && in.value[i-1] != '\n' {
		i--
	}
	return i
}

func (in *input) lineEnd() int {
	i := in.pos
	for i < len(in.value) && in.value[i] != '\n' {
		i++
	}
	return i
}

func (in *input) verticalMove(up bool) {
	start := in.lineStart()
	col := in.pos - start
	if up {
		if start == 0 {
			in.pos = 0
			return
		}
		prevEnd := start - 1
		prevStart := prevEnd
		for prevStart > 0 && in.value[prevStart-1] != '\n' {
			prevStart--
		}
		in.pos = prevStart + min(col, prevEnd-prevStart)
		return
	}
	end := in.lineEnd()
	if end == len(in.value) {
		in.pos = end
		return
	}
	nextStart := end + 1
	nextEnd := nextStart
	for nextEnd < len(in.value) && in.value[nextEnd] != '\n' {
		nextEnd++
	}
	in.pos = nextStart + min(col, nextEnd-nextStart)
}

// matches are the completions that start with the value.
func (in *input) matches() []string {
	v := string(in.value)
	var out []string
	for _, c := range in.completions {
		if strings.HasPrefix(c, v) && c != v {
			out = append(out, c)
		}
	}
	return out
}

// complete extends the value to the longest prefix its completions share, or, when that
// adds nothing, to the first of them.
func (in *input) complete() {
	ms := in.matches()
	if len(ms) == 0 {
		return
	}
	lcp := ms[0]
	for _, c := range ms[1:] {
		for !strings.HasPrefix(c, lcp) {
			lcp = lcp[:len(lcp)-1]
		}
	}
	if len(lcp) <= len(string(in.value)) {
		lcp = ms[0]
	}
	in.SetValue(lcp)
}

// view draws a one-line input in w cells: the prompt, then the part of the value around
// the cursor, then the dimmed rest of the first completion.
func (in *input) view(w int) string {
	prompt := in.prompt
	avail := w - ansi.StringWidth(prompt)
	if avail <= 1 {
		return fit(prompt, w)
	}
	if len(in.value) == 0 && in.placeholder != "" {
		return prompt + in.cursor(" ") + in.st.dim.Render(fit(in.placeholder, avail-1))
	}
	// Scroll so that the cursor shows.
	start := 0
	if in.pos >= avail {
		start = in.pos - avail + 1
	}
	end := min(len(in.value), start+avail)
	var b strings.Builder
	b.WriteString(prompt)
	b.WriteString(string(in.value[start:min(in.pos, end)]))
	if in.pos < end {
		b.WriteString(in.cursor(string(in.value[in.pos])))
		b.WriteString(string(in.value[in.pos+1 : end]))
	} else if in.pos-start < avail {
		rest := ""
		if ms := in.matches(); len(ms) > 0 && in.completions != nil {
			rest = ms[0][len(string(in.value)):]
		}
		if rest != "" {
			r := []rune(rest)
			b.WriteString(in.cursor(string(r[0])))
			if len(r) > 1 {
				b.WriteString(in.st.dim.Render(fit(string(r[1:]), avail-(in.pos-start)-1)))
			}
		} else {
			b.WriteString(in.cursor(" "))
		}
	}
	return b.String()
}

func (in *input) cursor(ch string) string {
	if !in.focused {
		return ch
	}
	return in.st.selected.Render(ch)
}

// lines draws a multiline input: h lines of w cells, scrolled to show the cursor's line,
// each prefixed with "│ ".
func (in *input) lines(w, h int) []string {
	const prefix = "│ "
	avail := max(w-ansi.StringWidth(prefix), 1)
	if len(in.value) == 0 && in.placeholder != "" {
		out := []string{prefix + in.cursor(" ") + in.st.dim.Render(fit(in.placeholder, avail-1))}
		for len(out) < h {
			out = append(out, prefix)
		}
		return out
	}
	text := string(in.value)
	rows := strings.Split(text, "\n")
	// The cursor's row and column.
	row, col := 0, in.pos
	for i, r := range rows {
		n := len([]rune(r))
		if col <= n {
			row = i
			break
		}
		col -= n + 1
	}
	top := 0
	if row >= h {
		top = row - h + 1
	}
	var out []string
	for i := top; i < len(rows) && len(out) < h; i++ {
		r := []rune(rows[i])
		if i != row {
			out = append(out, prefix+fit(string(r), avail))
			continue
		}
		start := 0
		if col >= avail {
			start = col - avail + 1
		}
		end := min(len(r), start+avail)
		line := string(r[start:min(col, end)])
		if col < end {
			line += in.cursor(string(r[col])) + string(r[col+1:end])
		} else {
			line += in.cursor(" ")
		}
		out = append(out, prefix+line)
	}
	for len(out) < h {
		out = append(out, prefix)
	}
	return out
}
