package expr

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// A javaPattern is a compiled java.time DateTimeFormatter pattern, as ksqlDB's date/time
// functions take them ("yyyy-MM-dd'T'HH:mm:ss.SSSX"). Supported letters: G, u, y, M/L, d,
// D, E, a, H, k, K, h, m, s, S, n, A, N, X, x, Z, O, z, V; 'quoted text' (” is a quote);
// [optional sections]. Parsing ignores case, as ksqlDB's parsers do.
type javaPattern struct {
	elems []jpElem
}

// jpElem is a pattern letter repeated count times, literal text, or an optional section.
type jpElem struct {
	letter byte     // 0 for literal text, '[' for an optional section
	count  int      // repetitions of letter
	text   string   // literal text
	group  []jpElem // the optional section's elements
}

// fieldKind says which values a pattern letter reads or writes.
type fieldKind int

const (
	dateField fieldKind = 1 << iota
	timeField
	zoneField
)

func (e jpElem) kind() fieldKind {
	switch e.letter {
	case 'G', 'u', 'y', 'M', 'L', 'd', 'D', 'E':
		return dateField
	case 'a', 'H', 'k', 'K', 'h', 'm', 's', 'S', 'n', 'A', 'N':
		return timeField
	case 'X', 'x', 'Z', 'O', 'z', 'V':
		return zoneField
	}
	return 0
}

// maxCount is the most repetitions each letter allows (Java's "Too many pattern letters").
var maxCount = map[byte]int{
	'G': 5, 'u': 19, 'y': 19, 'M': 5, 'L': 5, 'd': 2, 'D': 3, 'E': 5, 'a': 1, 'H': 2, 'k': 2,
	'K': 2, 'h': 2, 'm': 2, 's': 2, 'S': 9, 'n': 9, 'A': 19, 'N': 19, 'X': 5, 'x': 5, 'Z': 5,
	'O': 4, 'z': 4, 'V': 2,
}

// compileJavaPattern parses a DateTimeFormatter pattern.
func compileJavaPattern(p string) (*javaPattern, error) {
	stack := [][]jpElem{nil}
	addText := func(t string) {
		top := &stack[len(stack)-1]
		if n := len(*top); n > 0 && (*top)[n-1].letter == 0 {
			(*top)[n-1].text += t
			return
		}
		*top = append(*top, jpElem{text: t})
	}
	for i := 0; i < len(p); {
		c := p[i]
		switch {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			n := 1
			for i+n < len(p) && p[i+n] == c {
				n++
			}
			limit, ok := maxCount[c]
			if !ok {
				return nil, fmt.Errorf("unsupported pattern letter '%c' in %q", c, p)
			}
			if n > limit || c == 'O' && n != 1 && n != 4 || c == 'V' && n != 2 {
				return nil, fmt.Errorf("too many pattern letters '%c' in %q", c, p)
			}
			top := &stack[len(stack)-1]
			*top = append(*top, jpElem{letter: c, count: n})
			i += n
		case c == '\'':
			j := i + 1
			var b strings.Builder
			for {
				if j >= len(p) {
					return nil, fmt.Errorf("pattern ends with an incomplete string literal: %s", p)
				}
				if p[j] == '\'' {
					if j+1 < len(p) && p[j+1] == '\'' {
						b.WriteByte('\'')
						j += 2
						continue
					}
					break
				}
				b.WriteByte(p[j])
				j++
			}
			if j == i+1 {
				addText("'") // '' outside a literal is a quote
			} else {
				addText(b.String())
			}
			i = j + 1
		case c == '[':
			stack = append(stack, nil)
			i++
		case c == ']':
			if len(stack) == 1 {
				return nil, fmt.Errorf("pattern invalid as it contains ] without previous [: %s", p)
			}
			group := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			top := &stack[len(stack)-1]
			*top = append(*top, jpElem{letter: '[', group: group})
			i++
		case c == '{' || c == '}' || c == '#':
			return nil, fmt.Errorf("pattern includes reserved character '%c': %s", c, p)
		default:
			addText(string(c))
			i++
		}
	}
	for len(stack) > 1 { // an unclosed [ ends with the pattern
		group := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		stack[len(stack)-1] = append(stack[len(stack)-1], jpElem{letter: '[', group: group})
	}
	return &javaPattern{elems: stack[0]}, nil
}

// kindsOf reports which kinds of field elems use.
func kindsOf(elems []jpElem) fieldKind {
	var k fieldKind
	for _, e := range elems {
		k |= e.kind() | kindsOf(e.group)
	}
	return k
}

var (
	monthNames = []string{"January", "February", "March", "April", "May", "June", "July", "August",
		"September", "October", "November", "December"}
	dayNames = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
)

// text returns the full, short (3 letters) or narrow (1 letter) form of name by count.
func textForm(name string, count int) string {
	switch {
	case count == 4:
		return name
	case count == 5:
		return name[:1]
	}
	return name[:3]
}

// zeroPad writes n with at least width digits.
func zeroPad(n int64, width int) string {
	s := strconv.FormatInt(n, 10)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	if len(s) < width {
		s = strings.Repeat("0", width-len(s)) + s
	}
	if neg {
		s = "-" + s
	}
	return s
}

// formatOffset writes an offset in seconds in one of Java's offset styles: colons between
// fields or not, minutes always or only when non-zero, seconds when non-zero; zero is
// written as zero.
func formatOffset(secs int, colon, minutes, seconds bool, zero string) string {
	if secs == 0 && zero != "" {
		return zero
	}
	sign := "+"
	if secs < 0 {
		sign, secs = "-", -secs
	}
	h, m, s := secs/3600, secs/60%60, secs%60
	out := sign + zeroPad(int64(h), 2)
	sep := ""
	if colon {
		sep = ":"
	}
	if minutes || m != 0 || s != 0 {
		out += sep + zeroPad(int64(m), 2)
	}
	if seconds && s != 0 {
		out += sep + zeroPad(int64(s), 2)
	}
	return out
}

// localizedOffset is Java's localized offset: "GMT" for zero, else "GMT+8" and "GMT+5:30"
// (short) or "GMT+08:00" (full), with seconds when non-zero.
func localizedOffset(secs int, full bool) string {
	if secs == 0 {
		return "GMT"
	}
	if full {
		return "GMT" + formatOffset(secs, true, true, true, "")
	}
	sign := "+"
	if secs < 0 {
		sign, secs = "-", -secs
	}
	out := "GMT" + sign + strconv.Itoa(secs/3600)
	if m, sec := secs/60%60, secs%60; m != 0 || sec != 0 {
		out += ":" + zeroPad(int64(m), 2)
		if sec != 0 {
			out += ":" + zeroPad(int64(sec), 2)
		}
	}
	return out
}

// offsetStyle is the Java offset style of an X, x or Z element: colon, minutes always shown,
// seconds shown when non-zero, and the text for zero.
func offsetStyle(e jpElem) (colon, minutes, seconds bool, zero string) {
	switch e.letter {
	case 'X', 'x':
		zero = "Z"
		if e.letter == 'x' {
			zero = []string{"", "+00", "+0000", "+00:00", "+0000", "+00:00"}[e.count]
		}
		switch e.count {
		case 1:
			return false, false, false, zero
		case 2:
			return false, true, false, zero
		case 3:
			return true, true, false, zero
		case 4:
			return false, true, true, zero
		}
		return true, true, true, zero
	}
	// Z
	if e.count == 5 {
		return true, true, true, "Z"
	}
	return false, true, false, "+0000"
}

// format writes t (already in its zone) with the pattern. have says which kinds of value t
// carries: a DATE has no time or zone, a TIME no date or zone.
func (p *javaPattern) format(t time.Time, have fieldKind) (string, error) {
	var b strings.Builder
	if err := formatElems(&b, p.elems, t, have); err != nil {
		return "", err
	}
	return b.String(), nil
}

func formatElems(b *strings.Builder, elems []jpElem, t time.Time, have fieldKind) error {
	for _, e := range elems {
		if e.letter == '[' {
			if kindsOf(e.group)&^have == 0 {
				if err := formatElems(b, e.group, t, have); err != nil {
					return err
				}
			}
			continue
		}
		if k := e.kind(); k != 0 && k&have == 0 {
			return fmt.Errorf("unsupported field: '%c'", e.letter)
		}
		year := int64(t.Year())
		_, offset := t.Zone()
		switch e.letter {
		case 0:
			b.WriteString(e.text)
		case 'G':
			era := "AD"
			if year <= 0 {
				era = "BC"
			}
			switch {
			case e.count == 4 && era == "AD":
				era = "Anno Domini"
			case e.count == 4:
				era = "Before Christ"
			case e.count == 5:
				era = era[:1]
			}
			b.WriteString(era)
		case 'y', 'u':
			if e.letter == 'y' && year <= 0 {
				year = 1 - year
			}
			switch {
			case e.count == 2:
				b.WriteString(zeroPad(((year%100)+100)%100, 2))
			case e.count >= 4 && year > 9999:
				b.WriteString("+" + zeroPad(year, e.count))
			default:
				b.WriteString(zeroPad(year, e.count))
			}
		case 'M', 'L':
			if e.count >= 3 {
				b.WriteString(textForm(monthNames[t.Month()-1], e.count))
			} else {
				b.WriteString(zeroPad(int64(t.Month()), e.count))
			}
		case 'd':
			b.WriteString(zeroPad(int64(t.Day()), e.count))
		case 'D':
			b.WriteString(zeroPad(int64(t.YearDay()), e.count))
		case 'E':
			b.WriteString(textForm(dayNames[t.Weekday()], max(e.count, 3)))
		case 'a':
			if t.Hour() < 12 {
				b.WriteString("AM")
			} else {
				b.WriteString("PM")
			}
		case 'H':
			b.WriteString(zeroPad(int64(t.Hour()), e.count))
		case 'k':
			h := t.Hour()
			if h == 0 {
				h = 24
			}
			b.WriteString(zeroPad(int64(h), e.count))
		case 'K':
			b.WriteString(zeroPad(int64(t.Hour()%12), e.count))
		case 'h':
			h := t.Hour() % 12
			if h == 0 {
				h = 12
			}
			b.WriteString(zeroPad(int64(h), e.count))
		case 'm':
			b.WriteString(zeroPad(int64(t.Minute()), e.count))
		case 's':
			b.WriteString(zeroPad(int64(t.Second()), e.count))
		case 'S':
			b.WriteString(zeroPad(int64(t.Nanosecond()), 9)[:e.count])
		case 'n':
			b.WriteString(zeroPad(int64(t.Nanosecond()), e.count))
		case 'A':
			ms := int64(t.Hour())*3_600_000 + int64(t.Minute())*60_000 + int64(t.Second())*1000 + int64(t.Nanosecond()/1e6)
			b.WriteString(zeroPad(ms, e.count))
		case 'N':
			ns := (int64(t.Hour())*3600+int64(t.Minute())*60+int64(t.Second()))*1e9 + int64(t.Nanosecond())
			b.WriteString(zeroPad(ns, e.count))
		case 'X', 'x', 'Z':
			if e.letter == 'Z' && e.count == 4 {
				b.WriteString(localizedOffset(offset, true))
				continue
			}
			colon, minutes, seconds, zero := offsetStyle(e)
			b.WriteString(formatOffset(offset, colon, minutes, seconds, zero))
		case 'O':
			b.WriteString(localizedOffset(offset, e.count == 4))
		case 'z':
			name, _ := t.Zone()
			if name == "" || name[0] == '+' || name[0] == '-' {
				name = formatOffset(offset, true, true, true, "Z")
			}
			b.WriteString(name)
		case 'V':
			b.WriteString(t.Location().String())
		}
	}
	return nil
}
