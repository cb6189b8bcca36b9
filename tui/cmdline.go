package tui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/streamlite/streamlite/tui/cluster"
)

// cmdLine is the `:` command line (k9s): a screen name, or a command with an argument,
// completed with tab from the names the lists last showed. The input shows the rest of the
// first completion dimmed (up/down choose another); tab extends the line (complete).
type cmdLine struct {
	in          *textinput.Model
	completions []string // every full line the command line completes to
}

// commands the line knows: the ones that take an argument and the ones that do not.
var (
	argCommands  = []string{"topic", "records", "group"}
	bareCommands = []string{"topics", "groups", "schemas", "queries", "quit", "q"}
)

func (m *Model) openCmdLine() {
	in := newFocusedInput(&m.st, ":", "")
	in.ShowSuggestions = true
	m.cmd = &cmdLine{in: in, completions: m.completions()}
}

// completions are every full command line `:` can complete to.
func (m *Model) completions() []string {
	out := append([]string{}, bareCommands[:4]...)
	for _, t := range m.knownTopics {
		out = append(out, "topic "+t)
	}
	for _, t := range m.knownTopics {
		out = append(out, "records "+t)
	}
	for _, g := range m.knownGroups {
		out = append(out, "group "+g)
	}
	return out
}

func (m *Model) cmdView(w int) string {
	return inputView(m.cmd.in, w)
}

func (m *Model) cmdKey(k tea.KeyMsg) tea.Cmd {
	switch k.String() {
	case "esc":
		m.cmd = nil
		return nil
	case "enter":
		line := m.cmd.in.Value()
		m.cmd = nil
		cmd, err := m.runCommand(line)
		if err != nil {
			m.status = ""
			m.fail = &failure{screen: m.top().id(), text: err.Error()}
		}
		return cmd
	case "tab":
		complete(m.cmd.in, m.cmd.completions)
		return nil
	}
	cmd, _ := updateInput(m.cmd.in, k)
	// The input shows the completions of what it now holds.
	m.cmd.in.SetSuggestions(completionsOf(m.cmd.in.Value(), m.cmd.completions))
	return cmd
}

// resolveCommand finds the command word w names: itself or the only command it is a
// prefix of, among those that take an argument when hasArg and the others when not.
func resolveCommand(w string, hasArg bool) (string, error) {
	set := bareCommands
	if hasArg {
		set = argCommands
	}
	var found []string
	for _, c := range set {
		if c == w {
			return c, nil
		}
		if strings.HasPrefix(c, w) {
			found = append(found, c)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		if hasArg {
			return "", fmt.Errorf("unknown command %q: want topic NAME, records NAME or group ID", w)
		}
		return "", fmt.Errorf("unknown command %q: want topics, groups, schemas, queries or q", w)
	}
	return "", fmt.Errorf("ambiguous command %q: %s", w, strings.Join(found, ", "))
}

// runCommand runs a command line: it switches the stack to the screen it names.
func (m *Model) runCommand(line string) (tea.Cmd, error) {
	f := strings.Fields(line)
	if len(f) == 0 {
		return nil, nil
	}
	if len(f) > 2 {
		return nil, fmt.Errorf("%q: too many words", line)
	}
	c, err := resolveCommand(f[0], len(f) == 2)
	if err != nil {
		return nil, err
	}
	switch c {
	case "q", "quit":
		return tea.Quit, nil
	case "topics":
		return m.switchTo(), nil
	case "groups":
		return m.switchTo(newGroupsScreen(m)), nil
	case "schemas":
		return m.switchTo(newSubjectsScreen(m)), nil
	case "queries":
		return m.switchTo(newQueriesScreen(m)), nil
	case "topic":
		return m.switchTo(newTopicScreen(m, f[1])), nil
	case "records":
		return m.switchTo(newTopicScreen(m, f[1]), newRecordsScreen(m, f[1], cluster.Start{Kind: cluster.FromEnd})), nil
	case "group":
		return m.switchTo(newGroupsScreen(m), newGroupScreen(m, f[1])), nil
	}
	return nil, fmt.Errorf("unknown command %q", line)
}
