package tui

import (
	"io"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// styles are the model's styles, all from its own renderer: with the Ascii profile every
// one of them renders plain text.
type styles struct {
	r        *lipgloss.Renderer
	header   lipgloss.Style // the header line
	err      lipgloss.Style // the error line
	status   lipgloss.Style // the status line when there is no error
	colHead  lipgloss.Style // table column titles
	selected lipgloss.Style // the selected table row
	dim      lipgloss.Style // footers, hints, completions
	key      lipgloss.Style // key names in the footer and help
	title    lipgloss.Style // section titles in a screen's body
}

// asciiRenderer is the default renderer: plain text, as tests and dumb terminals want.
func asciiRenderer() *lipgloss.Renderer {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.Ascii)
	r.SetHasDarkBackground(true)
	return r
}

func newStyles(r *lipgloss.Renderer) styles {
	return styles{
		r:        r,
		header:   r.NewStyle().Bold(true).Foreground(lipgloss.Color("12")),
		err:      r.NewStyle().Foreground(lipgloss.Color("9")),
		status:   r.NewStyle().Foreground(lipgloss.Color("10")),
		colHead:  r.NewStyle().Bold(true),
		selected: r.NewStyle().Reverse(true),
		dim:      r.NewStyle().Foreground(lipgloss.Color("8")),
		key:      r.NewStyle().Bold(true).Foreground(lipgloss.Color("11")),
		title:    r.NewStyle().Bold(true),
	}
}
