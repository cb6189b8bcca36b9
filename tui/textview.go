package tui

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// textView is a scrollable block of text: j/k, d/u and pgdown/pgup, g/G. Long lines wrap
// at the width.
type textView struct {
	lines []string
	top   int
	page  int

	wrapped []string // lines wrapped at wrapW
	wrapW   int
}

func (v *textView) setLines(lines []string) {
	v.lines = lines
	v.wrapped = nil
}

// key scrolls for a navigation key and reports whether k was one.
func (v *textView) key(k string) bool {
	page := max(v.page, 1)
	switch k {
	case "j", "down":
		v.top++
	case "k", "up":
		v.top--
	case "d", "pgdown", " ":
		v.top += page
	case "u", "pgup":
		v.top -= page
	case "g", "home":
		v.top = 0
	case "G", "end":
		v.top = len(v.wrapped) // clamped by render
	default:
		return false
	}
	if v.top < 0 {
		v.top = 0
	}
	return true
}

// render returns the h lines from the scroll position, wrapped at w.
func (v *textView) render(w, h int) []string {
	if v.wrapped == nil || v.wrapW != w {
		v.wrapped = v.wrapped[:0]
		for _, l := range v.lines {
			l = strings.ReplaceAll(l, "\t", "    ")
			if ansi.StringWidth(l) <= w {
				v.wrapped = append(v.wrapped, l)
				continue
			}
			v.wrapped = append(v.wrapped, strings.Split(ansi.Hardwrap(l, w, true), "\n")...)
		}
		v.wrapW = w
	}
	v.page = h
	if v.top > len(v.wrapped)-h {
		v.top = max(len(v.wrapped)-h, 0)
	}
	end := min(v.top+h, len(v.wrapped))
	return v.wrapped[v.top:end]
}

// position says where the view is: "lines 1-20 of 84".
func (v *textView) position() string {
	if len(v.wrapped) <= v.page {
		return ""
	}
	return "lines " + itoa(v.top+1) + "-" + itoa(min(v.top+v.page, len(v.wrapped))) + " of " + itoa(len(v.wrapped))
}
