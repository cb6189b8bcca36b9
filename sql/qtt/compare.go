package qtt

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"sort"
	"strconv"
	"strings"
)

// DoubleTolerance is the absolute difference allowed between an expected and
// an actual DOUBLE.
const DoubleTolerance = 1e-6

// numKind is how a number is compared.
type numKind int

const (
	kindUnknown numKind = iota
	kindInt             // exact integer equality
	kindDouble          // within DoubleTolerance
	kindDecimal         // exact, scale included
)

// kindOfType maps an SQL type name to the way its numbers compare.
func kindOfType(sqlType string) numKind {
	t := strings.ToUpper(strings.TrimSpace(sqlType))
	switch {
	case t == "":
		return kindUnknown
	case strings.HasPrefix(t, "DECIMAL") || strings.HasPrefix(t, "NUMERIC"):
		return kindDecimal
	case t == "DOUBLE" || t == "FLOAT" || t == "REAL":
		return kindDouble
	case t == "INT" || t == "INTEGER" || t == "BIGINT" || t == "SMALLINT" || t == "TINYINT":
		return kindInt
	}
	return kindUnknown
}

// elemType returns T for "ARRAY<T>", else "".
func elemType(sqlType string) string {
	t := strings.TrimSpace(sqlType)
	if len(t) > 7 && strings.EqualFold(t[:6], "ARRAY<") && t[len(t)-1] == '>' {
		return strings.TrimSpace(t[6 : len(t)-1])
	}
	return ""
}

// CompareValue compares an expected JSON-level value (as decoded from a case
// file, numbers as json.Number) with an actual one from an engine, and
// returns "" when they match or a description of the first difference.
// sqlType is the actual value's SQL type when known ("" when not).
//
// Rules (corpus README, step 5):
//   - null matches only null.
//   - An object must have exactly as many fields as the actual object; each
//     expected field is looked up by its exact name, then upper-cased.
//   - Arrays compare element by element, in order, with equal length.
//   - Numbers compare by kind. The kind comes from sqlType when given
//     (INT/BIGINT exact, DOUBLE/FLOAT within DoubleTolerance, DECIMAL exact
//     with its scale: 1.10 ≠ 1.1, and an integer literal only matches scale
//     0). Without a type: an actual float32/float64 is a DOUBLE, an actual Go
//     integer is an integer, and an actual json.Number is an integer when both
//     texts are integral and a DOUBLE otherwise. So an engine that wants
//     DECIMAL scale checked must report the column type (Record.ValueTypes,
//     Record.KeyType).
//   - A string matches an equal string, the text of an actual DECIMAL (or
//     an untyped json.Number with the same text), or the base64 of actual
//     []byte (BYTES).
//   - Booleans compare equal.
func CompareValue(expected, actual any, sqlType string) string {
	return compareAt("", expected, actual, sqlType)
}

func compareAt(path string, exp, act any, sqlType string) string {
	at := func(format string, args ...any) string {
		msg := fmt.Sprintf(format, args...)
		if path == "" {
			return msg
		}
		return path + ": " + msg
	}
	if exp == nil {
		if act == nil {
			return ""
		}
		return at("expected null, got %s", render(act))
	}
	if act == nil {
		return at("expected %s, got null", render(exp))
	}
	switch e := exp.(type) {
	case bool:
		if a, ok := act.(bool); ok && a == e {
			return ""
		}
		return at("expected %s, got %s", render(exp), render(act))
	case string:
		switch a := act.(type) {
		case string:
			if a == e {
				return ""
			}
		case []byte:
			if base64.StdEncoding.EncodeToString(a) == e {
				return ""
			}
		case json.Number:
			k := kindOfType(sqlType)
			if (k == kindDecimal || k == kindUnknown) && a.String() == e {
				return ""
			}
		}
		return at("expected %s, got %s", render(exp), render(act))
	case json.Number:
		return at2(at, compareNumber(e, act, sqlType))
	case []any:
		a, ok := act.([]any)
		if !ok {
			return at("expected array %s, got %s", render(exp), render(act))
		}
		if len(a) != len(e) {
			return at("expected %d elements, got %d: expected %s, got %s", len(e), len(a), render(exp), render(act))
		}
		et := elemType(sqlType)
		for i := range e {
			if m := compareAt(fmt.Sprintf("%s[%d]", path, i), e[i], a[i], et); m != "" {
				return m
			}
		}
		return ""
	case map[string]any:
		a, ok := act.(map[string]any)
		if !ok {
			return at("expected object %s, got %s", render(exp), render(act))
		}
		return compareObject(path, e, a, nil)
	}
	return at("unexpected expected value of type %T", exp)
}

func at2(at func(string, ...any) string, msg string) string {
	if msg == "" {
		return ""
	}
	return at("%s", msg)
}

// compareObject compares two objects field by field; types gives the actual
// fields' SQL types (nil when unknown).
func compareObject(path string, e, a map[string]any, types map[string]string) string {
	if len(e) != len(a) {
		return joinPath(path, fmt.Sprintf("expected %d fields, got %d: expected %s, got %s",
			len(e), len(a), render(e), render(a)))
	}
	for _, name := range sortedKeys(e) {
		actName := name
		av, ok := a[name]
		if !ok {
			actName = strings.ToUpper(name)
			av, ok = a[actName]
		}
		if !ok {
			return joinPath(path, fmt.Sprintf("missing field %q in %s", name, render(a)))
		}
		if m := compareAt(joinField(path, name), e[name], av, types[actName]); m != "" {
			return m
		}
	}
	return ""
}

func joinPath(path, msg string) string {
	if path == "" {
		return msg
	}
	return path + ": " + msg
}

func joinField(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// compareNumber compares an expected number with an actual value.
func compareNumber(e json.Number, act any, sqlType string) string {
	kind := kindOfType(sqlType)
	var atext string
	switch a := act.(type) {
	case json.Number:
		atext = a.String()
	case float64:
		if kind == kindUnknown {
			kind = kindDouble
		}
		atext = strconv.FormatFloat(a, 'g', -1, 64)
	case float32:
		if kind == kindUnknown {
			kind = kindDouble
		}
		atext = strconv.FormatFloat(float64(a), 'g', -1, 32)
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		if kind == kindUnknown {
			kind = kindInt
		}
		atext = fmt.Sprint(a)
	default:
		return fmt.Sprintf("expected number %s, got %s", e, render(act))
	}
	if kind == kindUnknown {
		if isIntegral(e.String()) && isIntegral(atext) {
			kind = kindInt
		} else {
			kind = kindDouble
		}
	}
	switch kind {
	case kindInt:
		ei, ok1 := new(big.Int).SetString(e.String(), 10)
		ai, ok2 := new(big.Int).SetString(atext, 10)
		if ok1 && ok2 && ei.Cmp(ai) == 0 {
			return ""
		}
		return fmt.Sprintf("expected integer %s, got %s", e, atext)
	case kindDecimal:
		eu, es, ok1 := parseDecimal(e.String())
		au, as, ok2 := parseDecimal(atext)
		if ok1 && ok2 && es == as && eu.Cmp(au) == 0 {
			return ""
		}
		return fmt.Sprintf("expected decimal %s, got %s (%s)", e, atext, sqlType)
	default:
		ef, err1 := strconv.ParseFloat(e.String(), 64)
		af, err2 := strconv.ParseFloat(atext, 64)
		if err1 == nil && err2 == nil && !math.IsNaN(af) && math.Abs(ef-af) <= DoubleTolerance {
			return ""
		}
		return fmt.Sprintf("expected double %s, got %s (tolerance %g)", e, atext, DoubleTolerance)
	}
}

// isIntegral reports whether a number's text has no fraction or exponent.
func isIntegral(s string) bool {
	return s != "" && !strings.ContainsAny(s, ".eE")
}

// parseDecimal splits a decimal text into its unscaled value and scale:
// "1.10" is (110, 2), "-3" is (-3, 0), "1.5E+2" is (15, -1).
func parseDecimal(s string) (*big.Int, int, bool) {
	mant, exp := s, 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.Atoi(s[i+1:])
		if err != nil || e > 1<<16 || e < -(1<<16) {
			return nil, 0, false
		}
		mant, exp = s[:i], e
	}
	scale := 0
	if i := strings.IndexByte(mant, '.'); i >= 0 {
		scale = len(mant) - i - 1
		mant = mant[:i] + mant[i+1:]
	}
	if mant == "" || mant == "-" || mant == "+" {
		return nil, 0, false
	}
	u, ok := new(big.Int).SetString(mant, 10)
	if !ok {
		return nil, 0, false
	}
	return u, scale - exp, true
}

// render prints a JSON-level value compactly for reports.
func render(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	return string(b)
}

// compareKeyOrValue compares a key or a value, using the record's type hints.
func compareKeyOrValue(exp, act any, types map[string]string, scalarType string) string {
	if e, ok := exp.(map[string]any); ok {
		if a, ok := act.(map[string]any); ok {
			return compareObject("", e, a, types)
		}
	}
	return CompareValue(exp, act, scalarType)
}

// CompareRecord compares one expected record with an actual one and returns
// "" when they match or the first difference: key, window, value, headers,
// then timestamp. skipZeroTimestamp makes an expected timestamp of 0 count as
// "not checked" (used for cases without inputs).
func CompareRecord(exp Expected, act Record, skipZeroTimestamp bool) string {
	if m := compareKeyOrValue(exp.Key, act.Key, nil, act.KeyType); m != "" {
		return "key: " + m
	}
	switch {
	case exp.Window == nil && act.Window != nil:
		return fmt.Sprintf("window: expected none, got %s", renderWindow(act.Window))
	case exp.Window != nil && act.Window == nil:
		return fmt.Sprintf("window: expected %s, got none", renderWindow(exp.Window))
	case exp.Window != nil:
		if exp.Window.Start != act.Window.Start || exp.Window.End != act.Window.End ||
			!strings.EqualFold(exp.Window.Type, act.Window.Type) {
			return fmt.Sprintf("window: expected %s, got %s", renderWindow(exp.Window), renderWindow(act.Window))
		}
	}
	if m := compareKeyOrValue(exp.Value, act.Value, act.ValueTypes, act.ValueTypes[""]); m != "" {
		return "value: " + m
	}
	if len(exp.Headers) != len(act.Headers) {
		return fmt.Sprintf("headers: expected %d, got %d: expected %s, got %s",
			len(exp.Headers), len(act.Headers), renderHeaders(exp.Headers), renderHeaders(act.Headers))
	}
	for i, h := range exp.Headers {
		a := act.Headers[i]
		if h.Key != a.Key || (h.Value == nil) != (a.Value == nil) || !bytes.Equal(h.Value, a.Value) {
			return fmt.Sprintf("headers[%d]: expected %s, got %s", i, renderHeaders(exp.Headers), renderHeaders(act.Headers))
		}
	}
	if exp.Timestamp != nil && !(skipZeroTimestamp && *exp.Timestamp == 0) && *exp.Timestamp != act.Timestamp {
		return fmt.Sprintf("timestamp: expected %d, got %d", *exp.Timestamp, act.Timestamp)
	}
	return ""
}

func renderWindow(w *Window) string {
	return fmt.Sprintf("{start %d, end %d, type %s}", w.Start, w.End, w.Type)
}

func renderHeaders(hs []Header) string {
	parts := make([]string, len(hs))
	for i, h := range hs {
		v := "null"
		if h.Value != nil {
			v = strconv.Quote(base64.StdEncoding.EncodeToString(h.Value))
		}
		parts[i] = fmt.Sprintf("{%q: %s}", h.Key, v)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// RenderRecord prints an actual record on one line for reports.
func RenderRecord(r Record) string {
	var b strings.Builder
	fmt.Fprintf(&b, "{key %s, value %s, ts %d", render(r.Key), render(r.Value), r.Timestamp)
	if r.Window != nil {
		fmt.Fprintf(&b, ", window %s", renderWindow(r.Window))
	}
	if len(r.Headers) > 0 {
		fmt.Fprintf(&b, ", headers %s", renderHeaders(r.Headers))
	}
	b.WriteString("}")
	return b.String()
}

// RenderExpected prints an expected record on one line for reports.
func RenderExpected(e Expected) string {
	var b strings.Builder
	fmt.Fprintf(&b, "{key %s, value %s", render(e.Key), render(e.Value))
	if e.Timestamp != nil {
		fmt.Fprintf(&b, ", ts %d", *e.Timestamp)
	}
	if e.Window != nil {
		fmt.Fprintf(&b, ", window %s", renderWindow(e.Window))
	}
	if len(e.Headers) > 0 {
		fmt.Fprintf(&b, ", headers %s", renderHeaders(e.Headers))
	}
	b.WriteString("}")
	return b.String()
}

// Mismatch is the first difference found on an output topic.
type Mismatch struct {
	// Topic is the output topic.
	Topic string
	// Index is the record index of the first difference, -1 when only the
	// count differs.
	Index int
	// Reason says what differs.
	Reason string
	// Expected and Actual are the records at Index (nil past either end).
	Expected *Expected
	Actual   *Record
	// ActualAll holds every actual record of the topic.
	ActualAll []Record
}

// String renders the mismatch over several lines: reason, expected, actual,
// then all actual records of the topic.
func (m *Mismatch) String() string {
	var b strings.Builder
	if m.Index >= 0 {
		fmt.Fprintf(&b, "topic %s record %d: %s\n", m.Topic, m.Index, m.Reason)
	} else {
		fmt.Fprintf(&b, "topic %s: %s\n", m.Topic, m.Reason)
	}
	if m.Expected != nil {
		fmt.Fprintf(&b, "expected: %s\n", RenderExpected(*m.Expected))
	}
	if m.Actual != nil {
		fmt.Fprintf(&b, "actual:   %s\n", RenderRecord(*m.Actual))
	}
	fmt.Fprintf(&b, "actual records on %s (%d):", m.Topic, len(m.ActualAll))
	for _, r := range m.ActualAll {
		fmt.Fprintf(&b, "\n  %s", RenderRecord(r))
	}
	return b.String()
}

// CompareTopic compares all expected records of one topic with the actual
// ones, in order, and returns the first mismatch or nil. The counts must be
// equal; when they are not, the first differing record (if any) is still
// named.
func CompareTopic(topic string, exp []Expected, act []Record, skipZeroTimestamp bool) *Mismatch {
	n := min(len(exp), len(act))
	for i := 0; i < n; i++ {
		if r := CompareRecord(exp[i], act[i], skipZeroTimestamp); r != "" {
			if len(exp) != len(act) {
				r = fmt.Sprintf("record count: expected %d, got %d; first difference: %s", len(exp), len(act), r)
			}
			return &Mismatch{Topic: topic, Index: i, Reason: r, Expected: &exp[i], Actual: &act[i], ActualAll: act}
		}
	}
	if len(exp) != len(act) {
		m := &Mismatch{Topic: topic, Index: n, ActualAll: act,
			Reason: fmt.Sprintf("record count: expected %d, got %d", len(exp), len(act))}
		if n < len(exp) {
			m.Expected = &exp[n]
		} else {
			m.Actual = &act[n]
		}
		return m
	}
	return nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys) // a stable first mismatch
	return keys
}
