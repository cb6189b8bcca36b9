package types

import (
	"fmt"
	"strings"
)

// JavaLayout translates a Java date-time pattern (DateTimeFormatter
// letters as ksqlDB's TIMESTAMP_FORMAT and its date/time functions take
// them: y M d H h m s S a X Z z and 'quoted' text) into a Go time layout.
func JavaLayout(p string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(p); {
		c := p[i]
		if c == '\'' {
			j := strings.IndexByte(p[i+1:], '\'')
			if j < 0 {
				return "", fmt.Errorf("unterminated quote in timestamp format %q", p)
			}
			b.WriteString(p[i+1 : i+1+j])
			i += j + 2
			continue
		}
		n := 1
		for i+n < len(p) && p[i+n] == c {
			n++
		}
		switch {
		case c == 'y' && n == 2:
			b.WriteString("06")
		case c == 'y':
			b.WriteString("2006")
		case c == 'M' && n >= 3:
			b.WriteString("Jan")
		case c == 'M':
			b.WriteString("01")
		case c == 'd':
			b.WriteString("02")
		case c == 'H':
			b.WriteString("15")
		case c == 'h':
			b.WriteString("03")
		case c == 'm':
			b.WriteString("04")
		case c == 's':
			b.WriteString("05")
		case c == 'S':
			b.WriteString(strings.Repeat("0", n))
		case c == 'a':
			b.WriteString("PM")
		case c == 'X':
			b.WriteString("Z07")
			if n >= 3 {
				b.WriteString(":00")
			}
		case c == 'Z':
			b.WriteString("-0700")
		case c == 'z':
			b.WriteString("MST")
		case (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'):
			return "", fmt.Errorf("unsupported pattern letter %q in timestamp format %q", c, p)
		default:
			b.WriteString(p[i : i+n])
		}
		i += n
	}
	return b.String(), nil
}
