package sqlcli

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"unicode"

	"github.com/streamlite/streamlite/sql/ast"
)

// Tab completion: SQL keywords, and the live catalog (streams, tables, their
// columns, topics, query ids) as the server reports it through SHOW and
// DESCRIBE. The shell's goroutine loads the catalog (at start and after
// statements that change it); readline's goroutine calls completer.Do on TAB.

// catalog is the shell's copy of the server's catalog, for completion.
type catalog struct {
	mu struct {
		sync.RWMutex
		sources []string            // streams and tables, as the server names them
		columns map[string][]string // column names by source
		topics  []string
		queries []string // query ids, for TERMINATE
	}
}

// load reads the catalog from the server: SHOW STREAMS and SHOW TABLES, a
// DESCRIBE per source, and, when the server answers them, SHOW TOPICS and SHOW
// QUERIES. On error (the server is down) the catalog stays as it was.
func (c *catalog) load(ctx context.Context, cl *Client) error {
	var sources []string
	for _, show := range []string{"SHOW STREAMS;", "SHOW TABLES;"} {
		ents, err := cl.KSQL(ctx, show, nil)
		if err != nil {
			return err
		}
		for _, e := range ents {
			for _, key := range []string{"streams", "tables"} {
				list, _ := e[key].([]any)
				for _, x := range list {
					if m, ok := x.(map[string]any); ok {
						if n, ok := m["name"].(string); ok {
							sources = append(sources, n)
						}
					}
				}
			}
		}
	}
	columns := map[string][]string{}
	for _, src := range sources {
		ents, err := cl.KSQL(ctx, "DESCRIBE "+ast.QuoteIdent(src, false)+";", nil)
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			continue // dropped since SHOW: skip it
		}
		for _, e := range ents {
			sd, _ := e["sourceDescription"].(map[string]any)
			fields, _ := sd["fields"].([]any)
			for _, x := range fields {
				if f, ok := x.(map[string]any); ok {
					if n, ok := f["name"].(string); ok {
						columns[src] = append(columns[src], n)
					}
				}
			}
		}
	}
	names := func(stmt, entity, list, field string) []string {
		ents, err := cl.KSQL(ctx, stmt, nil)
		if err != nil {
			return nil // not served by this server: complete without them
		}
		var out []string
		for _, e := range ents {
			if e["@type"] != entity {
				continue
			}
			l, _ := e[list].([]any)
			for _, x := range l {
				if m, ok := x.(map[string]any); ok {
					if n, ok := m[field].(string); ok {
						out = append(out, n)
					}
				}
			}
		}
		return out
	}
	topics := names("SHOW TOPICS;", "kafka_topics", "topics", "name")
	queries := names("SHOW QUERIES;", "queries", "queries", "id")
	c.mu.Lock()
	c.mu.sources, c.mu.columns, c.mu.topics, c.mu.queries = sources, columns, topics, queries
	c.mu.Unlock()
	return nil
}

// snapshot returns the catalog's lists; the caller must not modify them.
func (c *catalog) snapshot() (sources []string, columns map[string][]string, topics, queries []string) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.mu.sources, c.mu.columns, c.mu.topics, c.mu.queries
}

// statementStarts are the words a statement or shell command starts with.
var statementStarts = []string{
	"ALTER", "ASSERT", "CLEAR", "CREATE", "DEFINE", "DESCRIBE", "DROP", "EXIT", "EXPLAIN", "HELP",
	"HISTORY", "INSERT", "LIST", "OUTPUT", "PAUSE", "PRINT", "QUIT", "RESUME", "RUN", "SELECT",
	"SET", "SHOW", "SPOOL", "TERMINATE", "UNDEFINE", "UNSET", "VERSION",
}

// sqlKeywords are the keywords offered inside a statement: ksqlDB's clauses,
// types, WITH properties and pseudo columns.
var sqlKeywords = []string{
	"ADD", "ADVANCE", "ALL", "AND", "ARRAY", "AS", "BEGINNING", "BETWEEN", "BIGINT", "BOOLEAN",
	"BY", "BYTES", "CASE", "CAST", "CHANGES", "COLUMN", "CREATE", "DATE", "DECIMAL", "DELETE",
	"DISTINCT", "DOUBLE", "ELSE", "EMIT", "END", "ESCAPE", "EXISTS", "EXTENDED", "FALSE", "FINAL",
	"FROM", "FULL", "GRACE", "GROUP", "HAVING", "HEADER", "HEADERS", "HOPPING", "IF", "IN", "INNER",
	"INSERT", "INT", "INTEGER", "INTERVAL", "INTO", "IS", "JOIN", "KAFKA_TOPIC", "KEY",
	"KEY_FORMAT", "LEFT", "LIKE", "LIMIT", "MAP", "NOT", "NULL", "ON", "OR", "OUTER", "PARTITION",
	"PARTITIONS", "PERIOD", "PRIMARY", "REPLACE", "REPLICAS", "RETENTION", "RIGHT", "ROWOFFSET",
	"ROWPARTITION", "ROWTIME", "SELECT", "SESSION", "SIZE", "SOURCE", "STREAM", "STRING",
	"STRUCT", "TABLE", "THEN", "TIME", "TIMESTAMP", "TIMESTAMP_FORMAT", "TOPIC", "TRUE",
	"TUMBLING", "VALUE_FORMAT", "VALUES", "VARCHAR", "WHEN", "WHERE", "WINDOW", "WINDOWEND",
	"WINDOWSTART", "WITH", "WITHIN", "WRAP_SINGLE_VALUE",
	"MILLISECONDS", "SECONDS", "MINUTES", "HOURS", "DAYS",
}

// completer implements readline.AutoCompleter over the catalog.
type completer struct {
	cat *catalog
	mu  struct {
		sync.Mutex
		pending string // the earlier lines of the statement being typed
	}
}

// setPending tells the completer the earlier lines of the statement being
// typed, so that completion on a continuation line knows the context.
func (c *completer) setPending(s string) {
	c.mu.Lock()
	c.mu.pending = s
	c.mu.Unlock()
}

// Do implements readline.AutoCompleter: it returns what each candidate adds
// after the word being typed, and the word's length in runes.
func (c *completer) Do(line []rune, pos int) ([][]rune, int) {
	c.mu.Lock()
	pending := c.mu.pending
	c.mu.Unlock()
	cands, word := c.complete(pending + string(line[:pos]))
	n := len([]rune(word))
	out := make([][]rune, 0, len(cands))
	for _, cand := range cands {
		out = append(out, []rune(cand)[n:])
	}
	return out, n
}

// complete returns the candidates for the end of text (everything typed
// before the cursor) and the word they complete; every candidate starts with
// word, up to case.
func (c *completer) complete(text string) (cands []string, word string) {
	lr := lex(text)
	if lr.openComment {
		return nil, ""
	}
	toks := lr.toks
	for i := len(toks) - 1; i >= 0; i-- { // only the statement being typed counts
		if toks[i].kind == lexPunct && toks[i].text == ";" {
			toks = toks[i+1:]
			break
		}
	}
	sources, columns, topics, queries := c.cat.snapshot()
	starts := firstWordsOf(toks, 2)

	// Inside a 'string': file names for RUN SCRIPT and SPOOL, topics for PRINT.
	if n := len(toks); n > 0 && toks[n-1].open && toks[n-1].end == len(text) {
		last := toks[n-1]
		if last.kind == lexString {
			word = unquote(last)
			switch {
			case len(starts) > 0 && (starts[0] == "SPOOL" || starts[0] == "RUN"):
				return completeFiles(word), word
			case len(starts) > 0 && starts[0] == "PRINT":
				return matchExact(word, topics), word
			}
			return nil, word
		}
		word = last.text // an open `identifier`: names that need quotes
		toks = toks[:n-1]
	} else if n > 0 && toks[n-1].kind == lexWord && toks[n-1].end == len(text) {
		word = toks[n-1].text
		toks = toks[:n-1]
	}

	// After "name.": that source's (or alias's) columns.
	if n := len(toks); n >= 2 && toks[n-1].text == "." && toks[n-1].end == len(text)-len(word) {
		q := strings.ToUpper(unquote(toks[n-2]))
		if toks[n-2].kind == lexQuoted {
			q = unquote(toks[n-2])
		}
		src := aliases(toks)[q]
		if src == "" {
			src = q
		}
		return matchWord(word, names(columns[src])), word
	}

	var prev, prev2 string
	words := []string{}
	for _, t := range toks {
		if t.kind == lexWord {
			words = append(words, t.upper())
		}
	}
	if n := len(words); n > 0 {
		prev = words[n-1]
		if n > 1 {
			prev2 = words[n-2]
		}
	}
	var pool []string
	switch {
	case len(toks) == 0:
		pool = statementStarts
	case prev == "FROM" || prev == "JOIN" || prev == "INTO" || (prev == "EXTENDED" && prev2 == "DESCRIBE"):
		pool = names(sources)
	case prev == "DESCRIBE":
		pool = append(names(sources), "EXTENDED", "FUNCTION")
	case (prev == "STREAM" || prev == "TABLE") && (prev2 == "DROP" || prev2 == "ALTER"),
		prev == "EXISTS" && prev2 == "IF" && len(starts) > 0 && starts[0] == "DROP":
		pool = names(sources)
	case prev == "PRINT":
		return matchExact(word, topicNames(topics)), word
	case prev == "TERMINATE":
		pool = append(slices.Clone(queries), "ALL")
	case prev == "SHOW" || prev == "LIST":
		pool = []string{"CONNECTORS", "FUNCTIONS", "PROPERTIES", "QUERIES", "STREAMS", "TABLES", "TOPICS", "TYPES", "VARIABLES"}
	case len(toks) == 1 && prev == "OUTPUT":
		pool = []string{"CHANGELOG", "JSON", "TABLE"}
	case len(toks) == 1 && prev == "SPOOL":
		pool = []string{"OFF"}
	case len(toks) == 1 && prev == "RUN":
		pool = []string{"SCRIPT"}
	default:
		refs := referenced(toks)
		var cols []string
		if len(refs) == 0 {
			for _, src := range sources {
				cols = append(cols, columns[src]...)
			}
		} else {
			for _, src := range refs {
				cols = append(cols, columns[src]...)
			}
		}
		pool = append(append(names(cols), names(sources)...), sqlKeywords...)
	}
	return matchWord(word, pool), word
}

// firstWordsOf returns up to n leading words of toks, upper-cased.
func firstWordsOf(toks []lexToken, n int) []string {
	var out []string
	for _, t := range toks {
		if len(out) == n || t.kind != lexWord {
			break
		}
		out = append(out, t.upper())
	}
	return out
}

// names returns how each name must be written: bare when it reads back as
// itself, else in backquotes.
func names(list []string) []string {
	out := make([]string, len(list))
	for i, n := range list {
		out[i] = ast.QuoteIdent(n, false)
	}
	return out
}

// topicNames returns how PRINT takes each topic: bare when it is a plain
// word (ksqlDB matches it to the topic), else as a 'string'.
func topicNames(list []string) []string {
	out := make([]string, len(list))
	for i, n := range list {
		out[i] = n
		if n == "" || n[0] >= '0' && n[0] <= '9' || strings.IndexFunc(n, func(r rune) bool { return r >= 0x80 || !isWordByte(byte(r)) }) >= 0 {
			out[i] = "'" + strings.ReplaceAll(n, "'", "''") + "'"
		}
	}
	return out
}

// matchWord returns the candidates of pool that start with word, ignoring
// case, sorted and without duplicates. When word is typed in lower case,
// bare candidates come in lower case too, so the completion reads as typed.
func matchWord(word string, pool []string) []string {
	lower := word != "" && strings.IndexFunc(word, unicode.IsUpper) < 0 && strings.IndexFunc(word, unicode.IsLower) >= 0
	var out []string
	for _, p := range pool {
		pr, wr := []rune(p), []rune(word)
		if len(pr) < len(wr) || !strings.EqualFold(string(pr[:len(wr)]), word) {
			continue
		}
		if lower && !strings.HasPrefix(p, "`") {
			p = strings.ToLower(p)
		}
		out = append(out, p)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// matchExact returns the candidates of pool that start with word, exactly.
func matchExact(word string, pool []string) []string {
	var out []string
	for _, p := range pool {
		if strings.HasPrefix(p, word) {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// completeFiles returns the paths that start with prefix; directories end in
// a slash so the next TAB goes inside.
func completeFiles(prefix string) []string {
	matches, _ := filepath.Glob(globEscape(prefix) + "*")
	var out []string
	for _, m := range matches {
		if !strings.HasPrefix(m, prefix) {
			continue // Glob cleaned the path ("./x" is "x"): cannot complete it as typed
		}
		if fi, err := os.Stat(m); err == nil && fi.IsDir() {
			m += string(filepath.Separator)
		}
		out = append(out, m)
	}
	return out
}

func globEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, "*", `\*`, "?", `\?`, "[", `\[`)
	return r.Replace(s)
}

// referenced returns the sources a statement names after FROM and JOIN, as
// the catalog spells them (unquoted names upper-cased).
func referenced(toks []lexToken) []string {
	var out []string
	for i := 0; i+1 < len(toks); i++ {
		if w := toks[i].upper(); w == "FROM" || w == "JOIN" {
			if n := identName(toks[i+1]); n != "" {
				out = append(out, n)
			}
		}
	}
	return out
}

// aliases maps each alias (and each source name) after FROM and JOIN to its
// source: "FROM orders o JOIN users AS u" gives O→ORDERS, U→USERS.
func aliases(toks []lexToken) map[string]string {
	out := map[string]string{}
	for i := 0; i+1 < len(toks); i++ {
		if w := toks[i].upper(); w != "FROM" && w != "JOIN" {
			continue
		}
		src := identName(toks[i+1])
		if src == "" {
			continue
		}
		out[src] = src
		j := i + 2
		if j < len(toks) && toks[j].upper() == "AS" {
			j++
		}
		if j < len(toks) {
			if a := identName(toks[j]); a != "" && !ast.IsReserved(a) && toks[j].upper() != "WINDOW" {
				out[a] = src
			}
		}
	}
	return out
}

// identName returns the name an identifier token denotes: unquoted words
// upper-cased, quoted ones as written; "" for other tokens.
func identName(t lexToken) string {
	switch t.kind {
	case lexWord:
		return t.upper()
	case lexQuoted:
		return unquote(t)
	}
	return ""
}
