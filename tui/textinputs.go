package tui

import (
	"strings"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/textarea"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
)

// The text inputs are bubbles' textinput (one line: the forms' fields, the `/` filters,
// the `:` command line, the start and reset prompts) and textarea (the produce form's
// value), set up here the same way everywhere:
//
//   - every style comes from the model's renderer (placeholders and completions dimmed,
//     the cursor reversed), so with the Ascii profile an input is plain text and its
//     cursor is not drawn;
//   - the cursor does not blink: no timer runs while an input has focus;
//   - ctrl-v does not read the system clipboard (a terminal's own paste arrives as keys
//     and is inserted), and tab is left to the screen: the forms move between fields
//     with it, the command line completes with it (complete).
//
// Keys an input takes: characters and paste insert; left/right, home/ctrl-a, end/ctrl-e,
// alt-left/alt-right move; backspace, delete, ctrl-w (word), ctrl-u (to the start),
// ctrl-k (to the end) delete; the textarea also breaks the line on enter and moves
// between lines with up/down.

// newTextInput is a one-line input, not focused.
func newTextInput(st *styles, prompt, placeholder string) *textinput.Model {
	in := textinput.New()
	in.Prompt = prompt
	in.Placeholder = placeholder
	plain := st.r.NewStyle()
	in.PromptStyle = plain
	in.TextStyle = plain
	in.PlaceholderStyle = st.dim
	in.CompletionStyle = st.dim
	in.Cursor.Style = plain
	in.Cursor.TextStyle = plain
	in.Cursor.SetMode(cursor.CursorStatic)
	in.KeyMap.Paste.SetEnabled(false)
	in.KeyMap.AcceptSuggestion.SetEnabled(false)
	return &in
}

// newFocusedInput is a one-line input with the focus.
func newFocusedInput(st *styles, prompt, placeholder string) *textinput.Model {
	in := newTextInput(st, prompt, placeholder)
	in.Focus()
	return in
}

// newTextArea is a multi-line input, not focused: each line is drawn after "│ ", long
// lines wrap.
func newTextArea(st *styles, placeholder string) *textarea.Model {
	ta := textarea.New()
	ta.Prompt = "│ "
	ta.Placeholder = placeholder
	ta.ShowLineNumbers = false
	ta.MaxHeight = 0 // as many lines as the value has
	plain := st.r.NewStyle()
	s := textarea.Style{
		Base: plain, CursorLine: plain, CursorLineNumber: plain, EndOfBuffer: plain,
		LineNumber: plain, Placeholder: st.dim, Prompt: plain, Text: plain,
	}
	ta.FocusedStyle, ta.BlurredStyle = s, s
	ta.Cursor.Style = plain
	ta.Cursor.TextStyle = plain
	ta.Cursor.SetMode(cursor.CursorStatic)
	ta.KeyMap.Paste.SetEnabled(false)
	ta.Blur() // points the textarea at its own (blurred) styles
	return &ta
}

// withSpaceRune gives a space key its rune, which the inputs insert.
func withSpaceRune(msg tea.Msg) tea.Msg {
	if k, ok := msg.(tea.KeyMsg); ok && k.Type == tea.KeySpace && len(k.Runes) == 0 {
		k.Runes = []rune{' '}
		return k
	}
	return msg
}

// updateInput applies a message to a one-line input; it reports whether the value or the
// cursor changed.
func updateInput(in *textinput.Model, msg tea.Msg) (tea.Cmd, bool) {
	v, pos := in.Value(), in.Position()
	var cmd tea.Cmd
	*in, cmd = in.Update(withSpaceRune(msg))
	return cmd, in.Value() != v || in.Position() != pos
}

// updateArea applies a message to a textarea.
func updateArea(ta *textarea.Model, msg tea.Msg) tea.Cmd {
	var cmd tea.Cmd
	*ta, cmd = ta.Update(withSpaceRune(msg))
	return cmd
}

// inputView draws a one-line input in at most w cells: the prompt, then the part of the
// value around the cursor (the input scrolls), then the dimmed rest of the completion.
func inputView(in *textinput.Model, w int) string {
	// The input draws its prompt, Width cells of value and one for the cursor past it.
	if width := max(w-ansi.StringWidth(in.Prompt)-1, 1); in.Width != width {
		in.Width = width
		in.SetCursor(in.Position()) // scrolls the value for the new width
	}
	return fit(strings.TrimRight(in.View(), " "), w)
}

// areaLines draws a textarea as h lines of w cells, scrolled to show the cursor's line.
func areaLines(ta *textarea.Model, w, h int) []string {
	ta.SetWidth(w)
	ta.SetHeight(h)
	if ta.Focused() {
		// The textarea scrolls to its cursor in Update, over the lines its last View
		// laid out: lay them out at this size, then let it scroll (a nil message changes
		// nothing else).
		ta.View()
		*ta, _ = ta.Update(nil)
	}
	lines := strings.Split(ta.View(), "\n")
	for i, l := range lines {
		lines[i] = fit(strings.TrimRight(l, " "), w)
	}
	return lines
}

// complete extends the value to the completion up/down chose if they did; otherwise to
// the longest prefix its completions share, or, when that adds nothing, to the first.
func complete(in *textinput.Model, completions []string) {
	ms := completionsOf(in.Value(), completions)
	if len(ms) == 0 {
		return
	}
	if c := in.CurrentSuggestion(); c != "" && in.CurrentSuggestionIndex() > 0 {
		ms = []string{c}
	}
	lcp := ms[0]
	for _, c := range ms[1:] {
		for !strings.HasPrefix(c, lcp) {
			lcp = lcp[:len(lcp)-1]
		}
	}
	if len(lcp) <= len(in.Value()) {
		lcp = ms[0]
	}
	in.SetValue(lcp)
	in.CursorEnd()
	in.SetSuggestions(completionsOf(lcp, completions))
}

// completionsOf are the completions that extend v.
func completionsOf(v string, completions []string) []string {
	var out []string
	for _, c := range completions {
		if strings.HasPrefix(c, v) && c != v {
			out = append(out, c)
		}
	}
	return out
}
