package tui

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/muesli/termenv"

	"github.com/streamlite/streamlite/tui/cluster"
)

// recordScreen is one record in full: key, headers, schema id and format, and the value
// pretty-printed, scrollable.
type recordScreen struct {
	screenBase
	rec cluster.Record
	tv  textView
	seq uint64
}

func newRecordScreen(rec cluster.Record) *recordScreen {
	return &recordScreen{rec: rec}
}

func (s *recordScreen) name() string { return "record" }
func (s *recordScreen) title() string {
	return fmt.Sprintf("%s/%d@%d", s.rec.Topic, s.rec.Partition, s.rec.Offset)
}
func (s *recordScreen) info(*Model) string { return s.tv.position() }

func (s *recordScreen) bindings() []binding {
	return []binding{
		{"c", "copy JSON", 0},
		{"w", "write file", 1},
		{"j/k", "scroll", 3},
		{"d/u", "page", 4},
		{"g/G", "top/bottom", 5},
	}
}

func (s *recordScreen) start(m *Model) tea.Cmd {
	if s.tv.lines == nil {
		s.tv.setLines(recordLines(s.rec, m.opts.Location, m.opts.Clock()))
	}
	return nil
}

// recordLines is the record as the detail screen shows it.
func recordLines(r cluster.Record, loc *time.Location, now time.Time) []string {
	format := func(f string, id int) string {
		if id > 0 {
			return fmt.Sprintf("%s, schema id %d", f, id)
		}
		return f
	}
	lines := []string{
		fmt.Sprintf("topic      %s", r.Topic),
		fmt.Sprintf("partition  %d", r.Partition),
		fmt.Sprintf("offset     %d", r.Offset),
		fmt.Sprintf("time       %s (%s ago)", r.Timestamp.In(loc).Format("2006-01-02T15:04:05.000Z07:00"), formatAge(now, r.Timestamp)),
	}
	if !strings.Contains(r.KeyText, "\n") {
		lines = append(lines, fmt.Sprintf("key        %s (%s)", r.KeyText, format(r.KeyFormat, r.KeySchemaID)))
	} else {
		lines = append(lines, fmt.Sprintf("key        (%s)", format(r.KeyFormat, r.KeySchemaID)))
		lines = append(lines, indent(r.KeyText)...)
	}
	if len(r.Headers) == 0 {
		lines = append(lines, "headers    (none)")
	} else {
		lines = append(lines, "headers")
		for _, h := range r.Headers {
			lines = append(lines, "  "+h.Key+" = "+string(h.Value))
		}
	}
	lines = append(lines, fmt.Sprintf("value      (%s, %d bytes)", format(r.ValueFormat, r.ValueSchemaID), len(r.Value)))
	if r.DecodeErr != "" {
		lines = append(lines, "  could not decode: "+oneLine(r.DecodeErr))
	}
	lines = append(lines, indent(r.ValueText)...)
	return lines
}

func indent(s string) []string {
	ls := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range ls {
		ls[i] = "  " + l
	}
	return ls
}

// savedMsg says where `c` or `w` put the record.
type savedMsg struct {
	status string
	err    error
}

func (s *recordScreen) update(m *Model, msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case reply:
		if msg.seq != s.seq {
			return nil
		}
		r := msg.body.(savedMsg)
		if r.err != nil {
			m.actionFailed(s, "saving the record", r.err)
		} else {
			m.status = r.status
		}
	case tea.KeyMsg:
		k := msg.String()
		if s.tv.key(k) {
			return nil
		}
		switch k {
		case "c":
			return s.copy(m)
		case "w":
			return s.write(m)
		}
	}
	return nil
}

// copy puts the record, as one JSON line, on the terminal's clipboard with OSC 52.
func (s *recordScreen) copy(m *Model) tea.Cmd {
	line := recordJSON(s.rec)
	out := m.opts.Clipboard
	s.seq++
	return m.call(s, "save", s.seq, func(context.Context) any {
		if out == nil {
			return savedMsg{err: fmt.Errorf("no terminal to copy to")}
		}
		termenv.NewOutput(out).Copy(string(line))
		return savedMsg{status: fmt.Sprintf("copied the record to the clipboard (%d bytes of JSON, OSC 52)", len(line))}
	})
}

// write saves the record, as one JSON line, to record-<topic>-<partition>-<offset>.json.
func (s *recordScreen) write(m *Model) tea.Cmd {
	line := append(recordJSON(s.rec), '\n')
	name := fmt.Sprintf("record-%s-%d-%d.json", safeFileName(s.rec.Topic), s.rec.Partition, s.rec.Offset)
	path := filepath.Join(m.opts.Dir, name)
	shown := path
	if m.opts.Dir == "." {
		shown = "./" + name
	}
	s.seq++
	return m.call(s, "save", s.seq, func(context.Context) any {
		if err := os.WriteFile(path, line, 0o644); err != nil {
			return savedMsg{err: fmt.Errorf("writing %s: %w", shown, err)}
		}
		return savedMsg{status: "wrote " + shown}
	})
}

// safeFileName replaces the characters a topic may have that a file name should not.
func safeFileName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == 0 {
			return '_'
		}
		return r
	}, s)
}

// recordJSON renders a record as one JSON object: decoded JSON values (JSON, Avro,
// Protobuf, JSON Schema) embedded as JSON, text as a string, other bytes as hex.
func recordJSON(r cluster.Record) []byte {
	type header struct {
		Key   string `json:"key"`
		Value string `json:"value"`
	}
	v := struct {
		Topic         string          `json:"topic"`
		Partition     int32           `json:"partition"`
		Offset        int64           `json:"offset"`
		Timestamp     string          `json:"timestamp"`
		Key           json.RawMessage `json:"key"`
		Value         json.RawMessage `json:"value"`
		Headers       []header        `json:"headers,omitempty"`
		KeyFormat     string          `json:"key_format,omitempty"`
		ValueFormat   string          `json:"value_format,omitempty"`
		KeySchemaID   int             `json:"key_schema_id,omitempty"`
		ValueSchemaID int             `json:"value_schema_id,omitempty"`
	}{
		Topic:         r.Topic,
		Partition:     r.Partition,
		Offset:        r.Offset,
		Timestamp:     r.Timestamp.UTC().Format(time.RFC3339Nano),
		Key:           jsonValue(r.KeyText, r.KeyFormat, r.Key == nil),
		Value:         jsonValue(r.ValueText, r.ValueFormat, r.Value == nil),
		KeyFormat:     r.KeyFormat,
		ValueFormat:   r.ValueFormat,
		KeySchemaID:   r.KeySchemaID,
		ValueSchemaID: r.ValueSchemaID,
	}
	for _, h := range r.Headers {
		v.Headers = append(v.Headers, header{Key: h.Key, Value: string(h.Value)})
	}
	b, err := json.Marshal(v)
	if err != nil { // cannot happen: every field is plain or checked JSON
		return []byte(`{}`)
	}
	return b
}

func jsonValue(text, format string, null bool) json.RawMessage {
	if null || format == "null" {
		return json.RawMessage("null")
	}
	switch format {
	case "json", "avro", "protobuf", "json-schema":
		var b bytes.Buffer
		if json.Compact(&b, []byte(text)) == nil {
			return b.Bytes()
		}
	}
	s, _ := json.Marshal(text)
	return s
}

func (s *recordScreen) view(m *Model, w, h int) []string {
	return s.tv.render(w, h)
}
