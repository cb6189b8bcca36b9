package qtt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// StartsWithSuffix ends an expected key whose string value is a prefix of
// the actual one ("queryId|starts_with": "transient_").
const StartsWithSuffix = "|starts_with"

// MatchJSON compares an expected JSON value of an RQTT response with the
// actual one and returns "" when they match or the first difference.
//
// Objects match partially: only the keys written in exp are compared, the
// actual object may have more, and a key ending in StartsWithSuffix is a
// prefix match on the string under the key without the suffix. Arrays
// have equal lengths and match element by element. Scalars compare as
// CompareValue does with no SQL type. path names exp's position in
// reports.
func MatchJSON(path string, exp, act any) string {
	return matchJSON(path, exp, act, nil)
}

// matchJSON is MatchJSON with the SQL types of a row's columns, used for
// the "columns" array of a "row" entry.
func matchJSON(path string, exp, act any, colTypes []string) string {
	switch e := exp.(type) {
	case map[string]any:
		a, ok := act.(map[string]any)
		if !ok {
			return joinPath(path, fmt.Sprintf("expected object %s, got %s", render(exp), render(act)))
		}
		for _, k := range sortedKeys(e) {
			name, prefix := strings.CutSuffix(k, StartsWithSuffix)
			av, ok := a[name]
			if !ok {
				return joinPath(path, fmt.Sprintf("missing key %q in %s", name, render(a)))
			}
			p := joinField(path, name)
			switch {
			case prefix:
				es, ok1 := e[k].(string)
				as, ok2 := av.(string)
				if !ok1 || !ok2 || !strings.HasPrefix(as, es) {
					return joinPath(p, fmt.Sprintf("expected a string starting with %s, got %s", render(e[k]), render(av)))
				}
			case p == "header.schema":
				es, ok1 := e[k].(string)
				as, ok2 := av.(string)
				if !ok1 || !ok2 || NormalizeSchema(es) != NormalizeSchema(as) {
					return joinPath(p, fmt.Sprintf("expected %s, got %s", render(e[k]), render(av)))
				}
			case p == "row.columns":
				if m := matchColumns(p, e[k], av, colTypes); m != "" {
					return m
				}
			default:
				if m := matchJSON(p, e[k], av, colTypes); m != "" {
					return m
				}
			}
		}
		// A tombstone row is only matched by one marked as such.
		if path == "row" {
			if _, given := e["tombstone"]; !given && a["tombstone"] == true {
				return joinPath(path, fmt.Sprintf("expected a row, got a tombstone %s", render(a)))
			}
		}
		return ""
	case []any:
		a, ok := act.([]any)
		if !ok {
			return joinPath(path, fmt.Sprintf("expected array %s, got %s", render(exp), render(act)))
		}
		if len(a) != len(e) {
			return joinPath(path, fmt.Sprintf("expected %d elements, got %d: expected %s, got %s", len(e), len(a), render(exp), render(act)))
		}
		for i := range e {
			if m := matchJSON(fmt.Sprintf("%s[%d]", path, i), e[i], a[i], nil); m != "" {
				return m
			}
		}
		return ""
	}
	if m := CompareValue(exp, act, ""); m != "" {
		return joinPath(path, m)
	}
	return ""
}

// matchColumns compares a row's columns, each by CompareValue with its
// SQL type from the actual header (so DOUBLE columns match within
// DoubleTolerance and DECIMAL ones by scale too).
func matchColumns(path string, exp, act any, colTypes []string) string {
	e, ok1 := exp.([]any)
	a, ok2 := act.([]any)
	if !ok1 || !ok2 {
		return joinPath(path, fmt.Sprintf("expected columns %s, got %s", render(exp), render(act)))
	}
	if len(e) != len(a) {
		return joinPath(path, fmt.Sprintf("expected %d columns, got %d: expected %s, got %s", len(e), len(a), render(exp), render(act)))
	}
	for i := range e {
		typ := ""
		if i < len(colTypes) {
			typ = colTypes[i]
		}
		if m := CompareValue(e[i], a[i], typ); m != "" {
			return fmt.Sprintf("%s[%d]: %s", path, i, m)
		}
	}
	return ""
}

// SchemaTypes returns the type of each column of a header schema such as
// "`ID` STRING KEY, `V` DECIMAL(4, 2)": ["STRING", "DECIMAL(4,2)"]. Names
// may be backticked (with “ for a backtick); markers (KEY, PRIMARY KEY,
// HEADERS, HEADER('k')) are dropped.
func SchemaTypes(schema string) []string {
	var out []string
	for _, col := range splitTopLevel(schema) {
		col = strings.TrimSpace(col)
		if col == "" {
			continue
		}
		rest := col
		if strings.HasPrefix(col, "`") {
			i := 1
			for i < len(col) {
				if col[i] == '`' {
					if i+1 < len(col) && col[i+1] == '`' {
						i += 2
						continue
					}
					break
				}
				i++
			}
			rest = col[min(i+1, len(col)):]
		} else if sp := strings.IndexByte(col, ' '); sp >= 0 {
			rest = col[sp:]
		} else {
			rest = ""
		}
		typ := strings.TrimSpace(rest)
		up := strings.ToUpper(typ)
		for _, marker := range []string{" PRIMARY KEY", " KEY", " HEADERS"} {
			if strings.HasSuffix(up, marker) {
				typ, up = strings.TrimSpace(typ[:len(typ)-len(marker)]), up[:len(up)-len(marker)]
			}
		}
		if i := strings.Index(up, " HEADER("); i >= 0 {
			typ = strings.TrimSpace(typ[:i])
		}
		// NormalizeSchema reads a type after a column name, so give it one.
		out = append(out, strings.TrimPrefix(NormalizeSchema("X "+typ), "X "))
	}
	return out
}

// splitTopLevel splits s on commas outside (), <> and backticks.
func splitTopLevel(s string) []string {
	var out []string
	depth, start, quoted := 0, 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '`':
			quoted = !quoted
		case quoted:
		case c == '(' || c == '<':
			depth++
		case c == ')' || c == '>':
			depth--
		case c == ',' && depth == 0:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

// entryKind names a /query entry by its only key ("header", "row",
// "finalMessage", ...), "" when it has several or none.
func entryKind(e any) string {
	m, ok := e.(map[string]any)
	if !ok || len(m) != 1 {
		return ""
	}
	for k := range m {
		return k
	}
	return ""
}

// CompareQueryResponse compares an expected /query answer with the actual
// entries and returns "" when they match or what differs. The entry
// counts must be equal. Rows are compared as a multiset (each expected
// row matched by a different actual row, order ignored), with column
// types from the actual header's schema; the other entries (header,
// finalMessage, ...) are compared in order. Every comparison is
// MatchJSON's, and the header's "schema" compares modulo backticks and
// spacing (NormalizeSchema).
func CompareQueryResponse(exp []map[string]any, act []any) string {
	var colTypes []string
	var expRows, expOther, actRows, actOther []any
	for _, e := range exp {
		if entryKind(e) == "row" {
			expRows = append(expRows, e)
		} else {
			expOther = append(expOther, e)
		}
	}
	for _, a := range act {
		switch entryKind(a) {
		case "row":
			actRows = append(actRows, a)
		case "header":
			if h, ok := a.(map[string]any)["header"].(map[string]any); ok && colTypes == nil {
				if s, ok := h["schema"].(string); ok {
					colTypes = SchemaTypes(s)
				}
			}
			actOther = append(actOther, a)
		default:
			actOther = append(actOther, a)
		}
	}
	listing := func() string {
		var b strings.Builder
		fmt.Fprintf(&b, "\nexpected (%d entries):", len(exp))
		for _, e := range exp {
			fmt.Fprintf(&b, "\n  %s", render(e))
		}
		fmt.Fprintf(&b, "\nactual (%d entries):", len(act))
		for _, a := range act {
			fmt.Fprintf(&b, "\n  %s", render(a))
		}
		return b.String()
	}
	if len(exp) != len(act) {
		return fmt.Sprintf("entry count: expected %d (%d rows), got %d (%d rows)%s",
			len(exp), len(expRows), len(act), len(actRows), listing())
	}
	if len(expOther) != len(actOther) {
		return fmt.Sprintf("expected %d rows and %d other entries, got %d and %d%s",
			len(expRows), len(expOther), len(actRows), len(actOther), listing())
	}
	for i := range expOther {
		if m := matchJSON("", expOther[i], actOther[i], colTypes); m != "" {
			return m + listing()
		}
	}
	match := func(i, j int) bool { return matchJSON("", expRows[i], actRows[j], colTypes) == "" }
	missing, spare := matchMultiset(len(expRows), len(actRows), match)
	if len(missing) == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "rows (compared as a multiset): %d expected rows not matched:", len(missing))
	for k, i := range missing {
		fmt.Fprintf(&b, "\n  %s", render(expRows[i]))
		// The counts are equal, so there are as many rows left over;
		// pairing them in order names a likely difference.
		if k < len(spare) {
			fmt.Fprintf(&b, "\n    vs unmatched %s: %s", render(actRows[spare[k]]),
				matchJSON("", expRows[i], actRows[spare[k]], colTypes))
		}
	}
	return b.String() + listing()
}

// matchMultiset pairs each of n expected items with a distinct one of m
// actual items such that match(i, j) holds, as many as possible
// (augmenting paths), and returns the expected items and the actual ones
// left unmatched, in order.
func matchMultiset(n, m int, match func(i, j int) bool) (missing, spare []int) {
	ok := make([][]bool, n)
	for i := range ok {
		ok[i] = make([]bool, m)
		for j := range ok[i] {
			ok[i][j] = match(i, j)
		}
	}
	owner := make([]int, m) // actual j -> expected i, -1 when free
	for j := range owner {
		owner[j] = -1
	}
	var try func(i int, seen []bool) bool
	try = func(i int, seen []bool) bool {
		for j := 0; j < m; j++ {
			if !ok[i][j] || seen[j] {
				continue
			}
			seen[j] = true
			if owner[j] < 0 || try(owner[j], seen) {
				owner[j] = i
				return true
			}
		}
		return false
	}
	for i := 0; i < n; i++ {
		if !try(i, make([]bool, m)) {
			missing = append(missing, i)
		}
	}
	for j, o := range owner {
		if o < 0 {
			spare = append(spare, j)
		}
	}
	return missing, spare
}

// decodeJSON decodes a response body with numbers kept as json.Number.
func decodeJSON(body []byte) (any, error) {
	var v any
	if err := decodeStrict(body, &v); err != nil {
		return nil, err
	}
	return v, nil
}

// errorBody is the part of ksqlDB's error entity the runner reads.
type errorBody struct {
	Type    string `json:"@type"`
	Message string `json:"message"`
}

// parseErrorBody reads an error answer; ok is false when it is not a JSON
// object (a plain-text 404, say).
func parseErrorBody(body []byte) (errorBody, bool) {
	var eb errorBody
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&eb); err != nil {
		return eb, false
	}
	return eb, true
}

// errorText renders an error answer for reports: its message when it has
// one, else the (abbreviated) body.
func errorText(body []byte) string {
	if eb, ok := parseErrorBody(body); ok && eb.Message != "" {
		return eb.Message
	}
	s := strings.TrimSpace(string(body))
	if len(s) > 300 {
		s = s[:297] + "..."
	}
	return s
}

// errorTypeMatches reports whether an error entity's @type satisfies the
// Java class an expectedError names: KsqlStatementErrorMessage is
// "statement_error"; KsqlErrorMessage (its superclass) is any error
// entity; other or empty types are not checked.
func errorTypeMatches(javaType, entityType string) bool {
	short := javaType[strings.LastIndex(javaType, ".")+1:]
	switch short {
	case "KsqlStatementErrorMessage":
		return entityType == "statement_error"
	case "KsqlErrorMessage":
		return entityType != ""
	}
	return true
}
