package jsonschema

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"

	sjs "github.com/santhosh-tekuri/jsonschema/v6"
	sk "github.com/santhosh-tekuri/jsonschema/v6/kind"
)

// Limits on payloads. Depth and number length are the defaults of Jackson's
// StreamReadConstraints (2.15+), the parser of Confluent's Java serializers. The exponent
// bound keeps math/big, which the validator uses for numeric keywords, from spending
// milliseconds on an 8-byte number such as 1e999999, and past 1e6 from failing outright,
// which would make the library dereference a nil *big.Rat.
const (
	maxDepth     = 1000 // arrays and objects nested in one another
	maxNumberLen = 1000 // bytes of one number literal
	maxExponent  = 1000 // absolute value of a number's exponent ("e" part)
	maxErrLen    = 200  // bytes of an error message (it goes back to Kafka clients)
	maxPtrLen    = 64   // bytes of the instance location in a message before it is elided
	maxValueLen  = 40   // bytes of a payload value quoted in a message
)

// ErrInvalidPayload is matched (errors.Is) by every error [Schema.Validate] returns: the
// payload is not exactly one JSON value within the limits, or the value breaks the schema.
var ErrInvalidPayload = errors.New("invalid JSON payload")

// payloadError is what Validate returns; its text is the whole message.
type payloadError struct{ msg string }

func (e *payloadError) Error() string { return e.msg }

// Is makes errors.Is(err, ErrInvalidPayload) true.
func (e *payloadError) Is(target error) bool { return target == ErrInvalidPayload }

func fail(msg string) error { return &payloadError{msg: clip(clean(msg), maxErrLen)} }

// Validate reports whether data, a record payload without its Confluent header, is exactly
// one JSON value (whitespace around it allowed) that the schema accepts. It returns nil when
// it is; otherwise an error matching [ErrInvalidPayload] whose text, under 200 bytes, says
// where and what:
//
//	not JSON: invalid character '}' looking for beginning of value at byte 12
//	not JSON: unexpected data after the top-level value at byte 30
//	at /lines/2/qty: must be >= 1 but found 0 (and 2 more)
//
// Byte offsets count from 0 at the first payload byte; locations are JSON pointers into the
// payload ("(root)" for the whole value), followed by the reason of the first failure at
// the bottom of the library's error tree (the deepest keyword on the first failing path)
// and how many other such failures there were. Strings must
// be valid UTF-8, arrays and objects may nest at most 1000 deep, and a number may have at
// most 1000 characters and an exponent of at most ±1000.
//
// A nil Schema, or one not made by [Parse], is the empty schema: any JSON value is valid.
// Formats are asserted as the library does by default: for drafts 4 to 7, not for 2019-09
// and 2020-12 (where "format" is an annotation).
//
// Validate is safe for concurrent use: santhosh-tekuri/jsonschema keeps every per-call state
// in a validator value of its own and only reads the compiled schema (its regexps are Go
// regexp values, safe for concurrent use). Each call allocates the decoded value.
func (s *Schema) Validate(data []byte) error {
	end, err := scanValue(data)
	if err != nil {
		return err
	}
	v, err := sjs.UnmarshalJSON(bytes.NewReader(data[:end]))
	if err != nil {
		return notJSON(data, end)
	}
	if i := skipSpace(data, end); i < len(data) {
		return fail("not JSON: unexpected data after the top-level value at byte " + strconv.Itoa(i))
	}
	if s == nil || s.compiled == nil {
		return nil
	}
	err = s.compiled.Validate(v)
	if err == nil {
		return nil
	}
	var verr *sjs.ValidationError
	if !errors.As(err, &verr) {
		return fail("invalid: " + err.Error())
	}
	return fail(describe(verr, v))
}

// Title returns the root document's "title" when it is a string: the record name
// Confluent's JsonSchema.name() gives RecordNameStrategy. ok is false when there is none.
func (s *Schema) Title() (title string, ok bool) {
	if s == nil {
		return "", false
	}
	m, isObj := s.doc.(map[string]any)
	if !isObj {
		return "", false
	}
	title, ok = m["title"].(string)
	return title, ok
}

// notJSON words why data, whose first value the scanner saw end at end, does not decode.
// It decodes the whole payload again (on this error path only) so the decoder reports the
// offending byte even where the scanner cut the value short (as in "-x" or "01").
func notJSON(data []byte, end int) error {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	var v any
	err := d.Decode(&v)
	var se *json.SyntaxError
	switch {
	case err == nil:
		return fail("not JSON: unexpected data after the top-level value at byte " +
			strconv.Itoa(skipSpace(data, int(d.InputOffset()))))
	case errors.As(err, &se):
		// Offset counts the bytes read, including the offending one.
		return fail("not JSON: " + se.Error() + " at byte " + strconv.FormatInt(max(se.Offset-1, 0), 10))
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return fail("not JSON: value ends unexpectedly at byte " + strconv.Itoa(len(data)))
	default:
		return fail("not JSON: " + err.Error() + " at byte " + strconv.Itoa(end))
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// skipSpace returns the index of the first non-whitespace byte of data at or after i.
func skipSpace(data []byte, i int) int {
	for i < len(data) && isSpace(data[i]) {
		i++
	}
	return i
}

// scanValue finds where the first JSON value of data ends, enforcing the limits the decoder
// does not (depth, number size, UTF-8 in strings). It does not check the grammar: the
// decoder does, on data[:end]. Any end it returns for malformed input makes the decoder
// fail, so the error is still reported.
func scanValue(data []byte) (end int, err error) {
	i := skipSpace(data, 0)
	if i == len(data) {
		if len(data) == 0 {
			return 0, fail("not JSON: the payload is empty")
		}
		return 0, fail("not JSON: the payload is only whitespace, ending at byte " + strconv.Itoa(i))
	}
	depth := 0
	for i < len(data) {
		c := data[i]
		switch {
		case c == '"':
			if i, err = skipString(data, i); err != nil {
				return 0, err
			}
		case c == '{' || c == '[':
			depth++
			if depth > maxDepth {
				return 0, fail("at byte " + strconv.Itoa(i) + ": arrays and objects nested deeper than " +
					strconv.Itoa(maxDepth) + " levels")
			}
			i++
			continue
		case c == '}' || c == ']':
			depth--
			i++
		case c == '-' || (c >= '0' && c <= '9'):
			if i, err = checkNumber(data, i); err != nil {
				return 0, err
			}
		case c >= 'a' && c <= 'z': // true, false, null or garbage
			i++
			for i < len(data) && data[i] >= 'a' && data[i] <= 'z' {
				i++
			}
		default: // whitespace, ',' and ':' inside; garbage at the top
			i++
		}
		if depth <= 0 {
			return i, nil
		}
	}
	return len(data), nil
}

// skipString returns the index after the string starting at data[i] ('"'), or len(data)
// when it is not terminated. It rejects invalid UTF-8, which encoding/json would silently
// replace with U+FFFD.
func skipString(data []byte, i int) (int, error) {
	for j := i + 1; j < len(data); {
		c := data[j]
		switch {
		case c == '"':
			return j + 1, nil
		case c == '\\':
			j += 2
		case c < utf8.RuneSelf:
			j++
		default:
			r, size := utf8.DecodeRune(data[j:])
			if r == utf8.RuneError && size == 1 {
				return 0, fail("not JSON: invalid UTF-8 in a string at byte " + strconv.Itoa(j))
			}
			j += size
		}
	}
	return len(data), nil
}

// checkNumber returns the index after the number literal starting at data[i], rejecting
// literals longer than maxNumberLen or with an exponent beyond ±maxExponent.
func checkNumber(data []byte, i int) (int, error) {
	j, exp := i, -1
	for ; j < len(data); j++ {
		c := data[j]
		if c == 'e' || c == 'E' {
			exp = j + 1
		} else if !(c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.') {
			break
		}
	}
	if j-i > maxNumberLen {
		return 0, fail("at byte " + strconv.Itoa(i) + ": number longer than " + strconv.Itoa(maxNumberLen) +
			" characters")
	}
	if exp >= 0 {
		k := exp
		if k < j && (data[k] == '+' || data[k] == '-') {
			k++
		}
		for k < j && data[k] == '0' {
			k++
		}
		e := 0
		for ; k < j && data[k] >= '0' && data[k] <= '9'; k++ {
			if e = e*10 + int(data[k]-'0'); e > maxExponent {
				return 0, fail("at byte " + strconv.Itoa(i) + ": number exponent beyond ±" +
					strconv.Itoa(maxExponent))
			}
		}
	}
	return j, nil
}

// describe words a validation failure: the location and reason of its first leaf, and how
// many other leaves there are.
func describe(verr *sjs.ValidationError, inst any) string {
	var first *sjs.ValidationError
	n := leaves(verr, &first)
	loc := jsonPointer(first.InstanceLocation)
	var more string
	if n > 1 {
		more = " (and " + strconv.Itoa(n-1) + " more)"
	}
	prefix := "at " + loc + ": "
	r := clip(reason(first, valueAt(inst, first.InstanceLocation)),
		maxErrLen-len(prefix)-len(more))
	return prefix + r + more
}

// leaves counts the leaf errors under e and stores the first in *first. A leaf has no
// causes, or is one whose causes do not say what is wrong on their own: "contains" (the
// causes are the items that did not match) and "propertyNames" (the causes are about the
// name, located as if it were the whole payload).
func leaves(e *sjs.ValidationError, first **sjs.ValidationError) int {
	switch e.ErrorKind.(type) {
	case *sk.Contains, *sk.MinContains, *sk.PropertyNames:
		if *first == nil {
			*first = e
		}
		return 1
	}
	if len(e.Causes) == 0 {
		if *first == nil {
			*first = e
		}
		return 1
	}
	n := 0
	for _, c := range e.Causes {
		n += leaves(c, first)
	}
	return n
}

// jsonPointer writes an instance location as a JSON pointer, eliding its middle when long.
func jsonPointer(loc []string) string {
	if len(loc) == 0 {
		return "(root)"
	}
	var b strings.Builder
	for _, tok := range loc {
		b.WriteByte('/')
		b.WriteString(strings.ReplaceAll(strings.ReplaceAll(tok, "~", "~0"), "/", "~1"))
	}
	p := b.String()
	if len(p) <= maxPtrLen {
		return p
	}
	head, tail := maxPtrLen/2-5, maxPtrLen/2
	for head > 0 && !utf8.RuneStart(p[head]) {
		head--
	}
	t := len(p) - tail
	for t < len(p) && !utf8.RuneStart(p[t]) {
		t++
	}
	return p[:head] + "..." + p[t:]
}

// valueAt returns the value at loc in v, or nil.
func valueAt(v any, loc []string) any {
	for _, tok := range loc {
		switch t := v.(type) {
		case map[string]any:
			v = t[tok]
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(t) {
				return nil
			}
			v = t[i]
		default:
			return nil
		}
	}
	return v
}

// reason words the failing keyword of leaf e; v is the payload value it failed on.
func reason(e *sjs.ValidationError, v any) string {
	switch k := e.ErrorKind.(type) {
	case *sk.PropertyNames:
		var inner *sjs.ValidationError
		for _, c := range e.Causes {
			leaves(c, &inner)
		}
		r := "property name " + strconv.Quote(clip(k.Property, maxValueLen))
		if inner == nil {
			return r + " is not allowed"
		}
		return r + ": " + reason(inner, k.Property)
	case *sk.MinContains:
		return "must have at least " + strconv.Itoa(k.Want) + ` items matching the "contains" schema but has ` +
			strconv.Itoa(len(k.Got))
	case *sk.MaxContains:
		return "must have at most " + strconv.Itoa(k.Want) + ` items matching the "contains" schema but has ` +
			strconv.Itoa(len(k.Got))
	case *sk.Type:
		found := k.Got
		switch v.(type) {
		case string, json.Number, bool:
			found += " " + show(v)
		}
		return "must be " + strings.Join(k.Want, " or ") + " but found " + found
	case *sk.Required:
		if len(k.Missing) == 1 {
			return "missing required property " + strconv.Quote(k.Missing[0])
		}
		return "missing required properties " + quoteAll(k.Missing)
	case *sk.AdditionalProperties:
		if len(k.Properties) == 1 {
			return "property " + strconv.Quote(k.Properties[0]) + " is not allowed"
		}
		return "properties " + quoteAll(k.Properties) + " are not allowed"
	case *sk.Enum:
		want := make([]string, 0, min(len(k.Want), 8))
		for i, w := range k.Want {
			if i == 8 {
				want = append(want, "...")
				break
			}
			want = append(want, show(w))
		}
		return "must be one of " + strings.Join(want, ", ") + " but found " + show(v)
	case *sk.Const:
		return "must be " + show(k.Want) + " but found " + show(v)
	case *sk.Format:
		r := show(v) + " is not a valid " + k.Want
		if k.Err != nil {
			r += ": " + k.Err.Error()
		}
		return r
	case *sk.Pattern:
		return show(k.Got) + " does not match the pattern " + strconv.Quote(clip(k.Want, maxValueLen))
	case *sk.MinLength:
		return "must be at least " + strconv.Itoa(k.Want) + " characters long but has " + strconv.Itoa(k.Got)
	case *sk.MaxLength:
		return "must be at most " + strconv.Itoa(k.Want) + " characters long but has " + strconv.Itoa(k.Got)
	case *sk.MinItems:
		return "must have at least " + strconv.Itoa(k.Want) + " items but has " + strconv.Itoa(k.Got)
	case *sk.MaxItems:
		return "must have at most " + strconv.Itoa(k.Want) + " items but has " + strconv.Itoa(k.Got)
	case *sk.MinProperties:
		return "must have at least " + strconv.Itoa(k.Want) + " properties but has " + strconv.Itoa(k.Got)
	case *sk.MaxProperties:
		return "must have at most " + strconv.Itoa(k.Want) + " properties but has " + strconv.Itoa(k.Got)
	case *sk.Minimum:
		return "must be >= " + ratString(k.Want) + " but found " + number(v, k.Got)
	case *sk.Maximum:
		return "must be <= " + ratString(k.Want) + " but found " + number(v, k.Got)
	case *sk.ExclusiveMinimum:
		return "must be > " + ratString(k.Want) + " but found " + number(v, k.Got)
	case *sk.ExclusiveMaximum:
		return "must be < " + ratString(k.Want) + " but found " + number(v, k.Got)
	case *sk.MultipleOf:
		return "must be a multiple of " + ratString(k.Want) + " but found " + number(v, k.Got)
	case *sk.UniqueItems:
		return "items " + strconv.Itoa(k.Duplicates[0]) + " and " + strconv.Itoa(k.Duplicates[1]) +
			" are equal but must be unique"
	case *sk.FalseSchema:
		return "no value is allowed here (the schema is false)"
	case *sk.Not:
		return `must not match the "not" schema`
	case *sk.OneOf:
		if len(k.Subschemas) >= 2 {
			return "matches oneOf subschemas " + strconv.Itoa(k.Subschemas[0]) + " and " +
				strconv.Itoa(k.Subschemas[1]) + " but must match exactly one"
		}
	case *sk.Contains:
		return `no item matches the "contains" schema`
	}
	// The library's own wording, without its "at '<pointer>': " prefix.
	r := (&sjs.ValidationError{ErrorKind: e.ErrorKind}).Error()
	_, after, found := strings.Cut(r, "': ")
	if found && strings.HasPrefix(r, "at '") {
		return after
	}
	return r
}

// show writes a payload or schema value briefly: strings quoted and clipped, numbers,
// booleans and null as they are, arrays and objects by their type.
func show(v any) string {
	switch v := v.(type) {
	case string:
		return strconv.Quote(clip(v, maxValueLen))
	case json.Number:
		return clip(string(v), maxValueLen)
	case bool:
		return strconv.FormatBool(v)
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	default:
		return "a value"
	}
}

// number writes the payload number v as sent, or got when v is not a number.
func number(v any, got *big.Rat) string {
	if n, ok := v.(json.Number); ok {
		return clip(string(n), maxValueLen)
	}
	return ratString(got)
}

// ratString writes r in decimal: exactly when it is a short decimal fraction, else as the
// nearest float64.
func ratString(r *big.Rat) string {
	switch {
	case r == nil:
		return "?"
	case r.IsInt():
		return intString(r.Num().String())
	}
	d := new(big.Int).Set(r.Denom())
	twos := d.TrailingZeroBits()
	d.Rsh(d, twos)
	fives, five, m := uint(0), big.NewInt(5), new(big.Int)
	for fives <= 30 {
		q, rem := new(big.Int).QuoRem(d, five, m)
		if rem.Sign() != 0 {
			break
		}
		d, fives = q, fives+1
	}
	if d.IsInt64() && d.Int64() == 1 && twos <= 30 && fives <= 30 {
		return clip(r.FloatString(int(max(twos, fives))), maxValueLen)
	}
	f, _ := r.Float64()
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// intString writes a decimal integer, with an exponent when it ends in many zeros
// ("1e999"), else clipped.
func intString(s string) string {
	if len(s) <= 21 {
		return s
	}
	t := strings.TrimRight(s, "0")
	if len(t) <= 17 {
		return t + "e" + strconv.Itoa(len(s)-len(t))
	}
	return clip(s, maxValueLen)
}

func quoteAll(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = strconv.Quote(clip(s, maxValueLen))
	}
	return strings.Join(q, ", ")
}

// clip cuts s to at most n bytes (on a rune boundary), marking the cut with "...".
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := max(n-3, 0)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

// clean escapes control characters and replaces invalid UTF-8 so a message prints on one
// line.
func clean(s string) string {
	i := 0
	for i < len(s) && s[i] >= 0x20 && s[i] < 0x7f {
		i++
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.WriteString(s[:i])
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteByte('?')
		case r < 0x20 || r == 0x7f:
			const hex = "0123456789abcdef"
			b.WriteString(`\x`)
			b.WriteByte(hex[r>>4])
			b.WriteByte(hex[r&0xf])
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}
