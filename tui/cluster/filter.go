package cluster

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Filter is a parsed records filter (see the package doc for the syntax). The zero Filter
// matches every record. A Filter is immutable and safe for concurrent use.
type Filter struct {
	terms []term
}

// termKind says what a term looks at.
type termKind int

const (
	termAny       termKind = iota // word anywhere: key, value, header keys and values
	termKey                       // key:word
	termValue                     // value:word
	termHeader                    // header:name
	termHeaderEq                  // header:name=word
	termPartition                 // partition:N
	termOffset                    // offset<op>N
	termPath                      // value.a.b=word or key.a.b=word
)

// term is one condition of a filter.
type term struct {
	kind   termKind
	negate bool
	word   string   // the word to look for, the header value, the path value
	name   string   // the header name
	path   []string // the JSON path below key or value
	inKey  bool     // termPath: the path is in the key
	op     string   // termOffset: "<", "<=", ">", ">=", "="
	n      int64    // termPartition, termOffset
}

// token is one space-separated piece of a filter expression.
type token struct {
	text string // quotes removed
	col  int    // 1-based rune column where the token starts
	// startQuoted: the token starts with a quote; dashQuoted: it starts with '-' and a
	// quote. Either makes the rest a plain word, never a field term.
	startQuoted, dashQuoted bool
}

// ParseFilter parses a filter expression (see the package doc). An empty or all-space
// expression is the zero Filter, which matches everything. Errors name the 1-based column
// of the bad term: `column 7: "partition:x": want a partition number after "partition:"`.
func ParseFilter(s string) (Filter, error) {
	toks, err := tokenize(s)
	if err != nil {
		return Filter{}, err
	}
	var f Filter
	for _, tk := range toks {
		t, err := parseTerm(tk)
		if err != nil {
			return Filter{}, fmt.Errorf("column %d: %w", tk.col, err)
		}
		f.terms = append(f.terms, t)
	}
	return f, nil
}

// tokenize splits s at spaces outside double quotes. Inside quotes, \" and \\ escape.
func tokenize(s string) ([]token, error) {
	var (
		toks []token
		cur  strings.Builder
		in   bool // inside a token
		tk   token
		col  = 0
	)
	flush := func() {
		if in {
			tk.text = cur.String()
			toks = append(toks, tk)
			cur.Reset()
			in = false
		}
	}
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		col++
		switch {
		case r == ' ' || r == '\t' || r == '\n' || r == '\r':
			flush()
			i += n
		case r == '"':
			if !in {
				tk = token{col: col, startQuoted: true}
				in = true
			} else if !tk.startQuoted && cur.String() == "-" {
				tk.dashQuoted = true
			}
			quoteCol := col
			i += n
			closed := false
			for i < len(s) {
				r, n = utf8.DecodeRuneInString(s[i:])
				col++
				i += n
				if r == '\\' && i < len(s) && (s[i] == '"' || s[i] == '\\') {
					cur.WriteByte(s[i])
					col++
					i++
					continue
				}
				if r == '"' {
					closed = true
					break
				}
				cur.WriteRune(r)
			}
			if !closed {
				return nil, fmt.Errorf("column %d: unclosed quote", quoteCol)
			}
		default:
			if !in {
				tk = token{col: col}
				in = true
			}
			cur.WriteRune(r)
			i += n
		}
	}
	flush()
	return toks, nil
}

// parseTerm reads one term.
func parseTerm(tk token) (term, error) {
	var t term
	text := tk.text
	raw := text
	if !tk.startQuoted && strings.HasPrefix(text, "-") {
		if text == "-" && !tk.dashQuoted {
			return t, fmt.Errorf("%q: a lone '-' negates nothing", raw)
		}
		t.negate = true
		text = text[1:]
	}
	if tk.startQuoted || tk.dashQuoted {
		t.kind, t.word = termAny, text
		return t, nil
	}
	lower := strings.ToLower(text)
	switch {
	case strings.HasPrefix(lower, "key:"):
		t.kind, t.word = termKey, text[len("key:"):]
		if t.word == "" {
			return t, fmt.Errorf("%q: want a word after \"key:\"", raw)
		}
	case strings.HasPrefix(lower, "value:"):
		t.kind, t.word = termValue, text[len("value:"):]
		if t.word == "" {
			return t, fmt.Errorf("%q: want a word after \"value:\"", raw)
		}
	case strings.HasPrefix(lower, "header:"):
		rest := text[len("header:"):]
		name, word, eq := strings.Cut(rest, "=")
		if name == "" {
			return t, fmt.Errorf("%q: want a header name after \"header:\"", raw)
		}
		t.name = name
		if eq {
			t.kind, t.word = termHeaderEq, word
		} else {
			t.kind = termHeader
		}
	case strings.HasPrefix(lower, "partition:"):
		n, err := strconv.ParseInt(text[len("partition:"):], 10, 32)
		if err != nil || n < 0 {
			return t, fmt.Errorf("%q: want a partition number after \"partition:\"", raw)
		}
		t.kind, t.n = termPartition, n
	case strings.HasPrefix(lower, "offset") && len(lower) > len("offset") && strings.ContainsRune("<>=", rune(lower[len("offset")])):
		rest := text[len("offset"):]
		op := rest[:1]
		if len(rest) > 1 && rest[1] == '=' && op != "=" {
			op = rest[:2]
		}
		n, err := strconv.ParseInt(rest[len(op):], 10, 64)
		if err != nil {
			return t, fmt.Errorf("%q: want a number after offset%s", raw, op)
		}
		t.kind, t.op, t.n = termOffset, op, n
	case (strings.HasPrefix(lower, "value.") || strings.HasPrefix(lower, "key.")) && strings.Contains(text, "="):
		lhs, word, _ := strings.Cut(text, "=")
		t.inKey = strings.HasPrefix(lower, "key.")
		field := lhs[strings.IndexByte(lhs, '.')+1:]
		t.path = strings.Split(field, ".")
		for _, p := range t.path {
			if p == "" {
				return t, fmt.Errorf("%q: empty field name in the path", raw)
			}
		}
		t.kind, t.word = termPath, word
	default:
		t.kind, t.word = termAny, text
	}
	return t, nil
}

// Match reports whether r satisfies every term of the filter.
func (f Filter) Match(r *Record) bool {
	var values [2]*jsonDoc // the parsed key and value, for path terms; parsed at most once
	for i := range f.terms {
		t := &f.terms[i]
		if t.match(r, &values) == t.negate {
			return false
		}
	}
	return true
}

// jsonDoc is a record's key or value parsed as JSON (nil v with ok false: not JSON).
type jsonDoc struct {
	v  any
	ok bool
}

func (t *term) match(r *Record, docs *[2]*jsonDoc) bool {
	switch t.kind {
	case termAny:
		if containsFold(r.KeyText, t.word) || containsFold(r.ValueText, t.word) {
			return true
		}
		for _, h := range r.Headers {
			if containsFold(h.Key, t.word) || containsFold(string(h.Value), t.word) {
				return true
			}
		}
		return false
	case termKey:
		return containsFold(r.KeyText, t.word)
	case termValue:
		return containsFold(r.ValueText, t.word)
	case termHeader:
		for _, h := range r.Headers {
			if h.Key == t.name {
				return true
			}
		}
		return false
	case termHeaderEq:
		for _, h := range r.Headers {
			if h.Key == t.name && string(h.Value) == t.word {
				return true
			}
		}
		return false
	case termPartition:
		return int64(r.Partition) == t.n
	case termOffset:
		switch t.op {
		case "<":
			return r.Offset < t.n
		case "<=":
			return r.Offset <= t.n
		case ">":
			return r.Offset > t.n
		case ">=":
			return r.Offset >= t.n
		default:
			return r.Offset == t.n
		}
	case termPath:
		i, text := 1, r.ValueText
		if t.inKey {
			i, text = 0, r.KeyText
		}
		if docs[i] == nil {
			docs[i] = parseDoc(text)
		}
		if !docs[i].ok {
			return false
		}
		v, ok := lookupPath(docs[i].v, t.path)
		return ok && jsonText(v) == t.word
	}
	return false
}

// parseDoc parses text as JSON, keeping numbers as written.
func parseDoc(text string) *jsonDoc {
	if text == "" || (text[0] != '{' && text[0] != '[') {
		return &jsonDoc{}
	}
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return &jsonDoc{}
	}
	return &jsonDoc{v: v, ok: true}
}

// lookupPath walks objects by field name and arrays by index.
func lookupPath(v any, path []string) (any, bool) {
	for _, p := range path {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[p]; !ok {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// jsonText is v's JSON text, a string without its quotes.
func jsonText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(x)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // maps and slices of JSON values always encode
	return strings.TrimSuffix(buf.String(), "\n")
}

// containsFold reports whether substr is within s, ignoring case (simple Unicode folding).
func containsFold(s, substr string) bool {
	if substr == "" {
		return true
	}
	if len(substr) > len(s) {
		return false
	}
	c := substr[0]
	if c < utf8.RuneSelf {
		lo, up := c, c
		if 'a' <= c && c <= 'z' {
			up = c - 'a' + 'A'
		} else if 'A' <= c && c <= 'Z' {
			lo = c - 'A' + 'a'
		}
		for i := 0; i+len(substr) <= len(s); i++ {
			if b := s[i]; (b == lo || b == up) && strings.EqualFold(s[i:i+len(substr)], substr) {
				return true
			}
		}
		return false
	}
	return strings.Contains(strings.ToLower(s), strings.ToLower(substr))
}

// String is the filter in canonical form: its terms separated by single spaces, words with
// spaces, quotes or a leading '-' quoted. ParseFilter(f.String()) is f again.
func (f Filter) String() string {
	parts := make([]string, len(f.terms))
	for i, t := range f.terms {
		parts[i] = t.String()
	}
	return strings.Join(parts, " ")
}

// String renders one term.
func (t term) String() string {
	var s string
	switch t.kind {
	case termAny:
		s = quoteWord(t.word, true)
	case termKey:
		s = "key:" + quoteWord(t.word, false)
	case termValue:
		s = "value:" + quoteWord(t.word, false)
	case termHeader:
		s = "header:" + quoteWord(t.name, false)
	case termHeaderEq:
		s = "header:" + quoteWord(t.name+"="+t.word, false)
	case termPartition:
		s = "partition:" + strconv.FormatInt(t.n, 10)
	case termOffset:
		s = "offset" + t.op + strconv.FormatInt(t.n, 10)
	case termPath:
		side := "value."
		if t.inKey {
			side = "key."
		}
		s = side + quoteWord(strings.Join(t.path, ".")+"="+t.word, false)
	}
	if t.negate {
		s = "-" + s
	}
	return s
}

// quoteWord quotes w when it would not read back as itself: it has spaces or quotes, is
// empty, or (as a whole term, bare) starts with '-' or looks like a field term.
func quoteWord(w string, bare bool) string {
	need := w == "" || strings.ContainsAny(w, " \t\r\n\"\\")
	if bare && !need {
		t, err := parseTerm(token{text: w})
		need = err != nil || t.kind != termAny || t.negate || t.word != w
	}
	if !need {
		return w
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(w) + `"`
}
