package sqlcli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"unicode/utf8"
)

// outputMode is how the shell prints results: --output and the OUTPUT command.
type outputMode int

const (
	// outputTable prints SELECT results as a table: a push query's rows as
	// they arrive (columns sized by type), a pull query's once all are in
	// (columns sized by the data). ksqlDB's CLI calls it TABULAR. On a
	// terminal, a push query over a table (or an aggregation) is a live
	// table: one line per key, rewritten in place (live.go).
	outputTable outputMode = iota
	// outputChangelog prints every row as a change: "+" for a row, "-" for
	// a retraction (when the server marks one), as Flink's changelog mode
	// and Materialize's mz_diff do.
	outputChangelog
	// outputJSON prints rows in ksqlDB's /query JSON shape, one object a
	// line ({"header":...}, {"row":{"columns":[...]}}, {"finalMessage":...}),
	// and statement results as their JSON entities.
	outputJSON
)

func (m outputMode) String() string {
	switch m {
	case outputChangelog:
		return "changelog"
	case outputJSON:
		return "json"
	}
	return "table"
}

// parseOutputMode reads an output mode: table (or ksqlDB's TABULAR),
// changelog or json, in any case.
func parseOutputMode(s string) (outputMode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "table", "tabular":
		return outputTable, nil
	case "changelog":
		return outputChangelog, nil
	case "json":
		return outputJSON, nil
	}
	return 0, fmt.Errorf("unknown output %q: want table, changelog or json", s)
}

// printShellEntity prints one of the server's result entities in the shell:
// as JSON in json mode, else as printEntity does, plus the entities the shell
// alone shows (topics) and any warnings.
func printShellEntity(w io.Writer, e map[string]any, mode outputMode) {
	if mode == outputJSON {
		b, _ := json.MarshalIndent(e, "", "  ")
		fmt.Fprintln(w, string(b))
		return
	}
	switch e["@type"] {
	case "kafka_topics", "kafka_topics_extended":
		extended := e["@type"] == "kafka_topics_extended"
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		if extended {
			fmt.Fprintln(tw, "Kafka Topic\tPartitions\tPartition Replicas\tConsumers\tConsumerGroups")
		} else {
			fmt.Fprintln(tw, "Kafka Topic\tPartitions\tPartition Replicas")
		}
		topics, _ := e["topics"].([]any)
		for _, x := range topics {
			t, _ := x.(map[string]any)
			reps, _ := t["replicaInfo"].([]any)
			r := ""
			if len(reps) > 0 {
				r = fmt.Sprint(reps[0])
			}
			if extended {
				fmt.Fprintf(tw, "%v\t%d\t%s\t%v\t%v\n", t["name"], len(reps), r, t["consumerCount"], t["consumerGroupCount"])
			} else {
				fmt.Fprintf(tw, "%v\t%d\t%s\n", t["name"], len(reps), r)
			}
		}
		tw.Flush()
	default:
		printEntity(w, e)
	}
	if ws, ok := e["warnings"].([]any); ok {
		for _, x := range ws {
			if m, ok := x.(map[string]any); ok && m["message"] != nil {
				fmt.Fprintf(w, "WARNING: %v\n", m["message"])
			}
		}
	}
}

// resultPrinter prints the answer to one SELECT in the shell's output mode.
// The shell's goroutine calls header once, row per row, then end.
//
// In table mode a push query's rows are appended as they arrive, one line a
// change, unless live is set (by goLive, after header): then a keyed result
// keeps one line per key and rewrites it in place (live.go).
type resultPrinter struct {
	w      io.Writer
	mode   outputMode
	pull   bool
	id     string
	cols   []string
	types  []string
	widths []int
	held   [][]string // a pull query's rows in table mode, printed at the end
	n      int        // rows received
	final  string     // the server's closing message
	live   *liveTable // nil: rows are appended
}

func newResultPrinter(w io.Writer, mode outputMode, pull bool) *resultPrinter {
	return &resultPrinter{w: w, mode: mode, pull: pull}
}

// header prints the header of a query's answer. key marks the columns the
// server declared KEY (nil for none); json mode gives them back in its
// schema, as ksqlDB's /query does.
func (p *resultPrinter) header(id string, cols, types []string, key []bool) {
	p.id, p.cols, p.types = id, cols, types
	switch {
	case p.mode == outputJSON:
		schema := make([]string, len(cols))
		for i, c := range cols {
			t := ""
			if i < len(types) {
				t = " " + types[i]
			}
			if i < len(key) && key[i] {
				t += " KEY"
			}
			schema[i] = "`" + c + "`" + t
		}
		b, _ := json.Marshal(map[string]any{"header": map[string]any{"queryId": id, "schema": strings.Join(schema, ", ")}})
		fmt.Fprintln(p.w, string(b))
	case p.mode == outputTable && p.pull:
		// Wait for the rows to size the columns.
	default:
		p.widths = make([]int, len(cols))
		for i, c := range cols {
			t := ""
			if i < len(types) {
				t = types[i]
			}
			p.widths[i] = max(utf8.RuneCountInString(c), typeWidth(t))
		}
		p.printHeader()
	}
}

// typeWidth is the width a column of type t gets when the rows are not known
// yet: enough for most values of the type.
func typeWidth(t string) int {
	base, _, _ := strings.Cut(strings.ToUpper(t), "(")
	base, _, _ = strings.Cut(base, "<")
	switch strings.TrimSpace(base) {
	case "BOOLEAN":
		return 7
	case "INT", "INTEGER":
		return 11
	case "BIGINT":
		return 20
	case "DOUBLE", "DECIMAL":
		return 16
	case "DATE":
		return 10
	case "TIME":
		return 12
	case "TIMESTAMP":
		return 23
	case "ARRAY", "MAP", "STRUCT", "BYTES":
		return 30
	}
	return 20
}

func (p *resultPrinter) opColumn() bool { return p.mode == outputChangelog }

func (p *resultPrinter) border() { io.WriteString(p.w, p.borderText()+"\n") }

// borderText is the table's border line, without its newline.
func (p *resultPrinter) borderText() string {
	var b strings.Builder
	if p.opColumn() {
		b.WriteString("+--")
	}
	for _, w := range p.widths {
		b.WriteByte('+')
		b.WriteString(strings.Repeat("-", w))
	}
	b.WriteByte('+')
	return b.String()
}

func (p *resultPrinter) line(op string, cells []string) {
	io.WriteString(p.w, p.lineText(op, cells)+"\n")
}

// lineText is one line of the table, without its newline: the op column in
// changelog mode, then the cells padded to the columns' widths.
func (p *resultPrinter) lineText(op string, cells []string) string {
	var b strings.Builder
	if p.opColumn() {
		fmt.Fprintf(&b, "|%-2s", op)
	}
	for i, c := range cells {
		w := 0
		if i < len(p.widths) {
			w = p.widths[i]
		}
		b.WriteByte('|')
		b.WriteString(c)
		if pad := w - utf8.RuneCountInString(c); pad > 0 {
			b.WriteString(strings.Repeat(" ", pad))
		}
	}
	b.WriteByte('|')
	return b.String()
}

func (p *resultPrinter) printHeader() {
	p.border()
	p.line("op", p.cols)
	p.border()
}

// row prints (or, for a pull query in table mode, holds) one row.
func (p *resultPrinter) row(r StreamRow) {
	if r.Final != "" {
		p.final = r.Final
		return
	}
	p.n++
	if p.mode == outputJSON {
		row := map[string]any{"columns": r.Values}
		if r.Tombstone {
			row["tombstone"] = true
		}
		b, _ := json.Marshal(map[string]any{"row": row})
		fmt.Fprintln(p.w, string(b))
		return
	}
	cells := make([]string, len(r.Values))
	for i, v := range r.Values {
		cells[i] = cellText(v)
	}
	if p.mode == outputTable && p.pull {
		p.held = append(p.held, cells)
		return
	}
	if p.live != nil {
		p.live.row(r, cells)
		return
	}
	op := "+"
	if r.Tombstone {
		op = "-"
	}
	p.line(op, cells)
}

// cellText is how a value reads in a table: strings without quotes, null as
// null, everything else as its JSON.
func cellText(v json.RawMessage) string {
	if len(v) > 0 && v[0] == '"' {
		var s string
		if json.Unmarshal(v, &s) == nil {
			return s
		}
	}
	if len(v) == 0 {
		return "null"
	}
	return string(v)
}

// end finishes the answer: the held rows of a pull query, the closing
// border, the server's closing message and a count. interrupted says the
// user stopped the query.
func (p *resultPrinter) end(interrupted bool) {
	if p.mode == outputJSON {
		if p.final != "" {
			b, _ := json.Marshal(map[string]string{"finalMessage": p.final})
			fmt.Fprintln(p.w, string(b))
		}
		return
	}
	if p.cols == nil {
		return
	}
	if p.mode == outputTable && p.pull {
		p.widths = make([]int, len(p.cols))
		for i, c := range p.cols {
			p.widths[i] = utf8.RuneCountInString(c)
		}
		for _, cells := range p.held {
			for i, c := range cells {
				if i < len(p.widths) {
					p.widths[i] = max(p.widths[i], utf8.RuneCountInString(c))
				}
			}
		}
		p.printHeader()
		for _, cells := range p.held {
			p.line("+", cells)
		}
	}
	p.border()
	if p.final != "" {
		fmt.Fprintln(p.w, p.final)
	}
	rows := fmt.Sprintf("%d rows", p.n)
	if p.n == 1 {
		rows = "1 row"
	}
	if p.pull && !interrupted {
		fmt.Fprintf(p.w, "(%s)\n", rows)
	} else {
		fmt.Fprintf(p.w, "Query terminated (%s)\n", rows)
	}
}
