package types

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseType parses a type as ksqlDB prints or accepts it: INT/INTEGER, BIGINT, DOUBLE,
// DECIMAL(p, s), STRING/VARCHAR, BOOLEAN, BYTES, DATE, TIME, TIMESTAMP, ARRAY<T>, MAP<K, V>,
// STRUCT<name T, ...> (field names may be `quoted`). Keywords are case-insensitive. Errors wrap
// ErrParseType and give the 1-based column.
func ParseType(s string) (Type, error) {
	p := &typeParser{s: s}
	t, err := p.parse(0)
	if err != nil {
		return Type{}, err
	}
	p.skipSpace()
	if p.pos != len(p.s) {
		return Type{}, p.errf("unexpected %q", p.s[p.pos:])
	}
	return t, nil
}

type typeParser struct {
	s   string
	pos int
}

const maxTypeDepth = 64

func (p *typeParser) errf(format string, args ...any) error {
	return fmt.Errorf("%w at column %d: %s", ErrParseType, p.pos+1, fmt.Sprintf(format, args...))
}

func (p *typeParser) skipSpace() {
	for p.pos < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.pos]) >= 0 {
		p.pos++
	}
}

func (p *typeParser) word() string {
	p.skipSpace()
	start := p.pos
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		if c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
			p.pos++
			continue
		}
		break
	}
	return p.s[start:p.pos]
}

func (p *typeParser) expect(c byte) error {
	p.skipSpace()
	if p.pos >= len(p.s) || p.s[p.pos] != c {
		return p.errf("expected %q", c)
	}
	p.pos++
	return nil
}

func (p *typeParser) number() (int, error) {
	w := p.word()
	n, err := strconv.Atoi(w)
	if err != nil || n < 0 {
		return 0, p.errf("expected a number, got %q", w)
	}
	return n, nil
}

func (p *typeParser) parse(depth int) (Type, error) {
	if depth > maxTypeDepth {
		return Type{}, p.errf("type nested too deeply")
	}
	name := strings.ToUpper(p.word())
	switch name {
	case "INT", "INTEGER":
		return TInt(), nil
	case "BIGINT":
		return TBigint(), nil
	case "DOUBLE":
		return TDouble(), nil
	case "STRING", "VARCHAR":
		return TString(), nil
	case "BOOLEAN":
		return TBoolean(), nil
	case "BYTES":
		return TBytes(), nil
	case "DATE":
		return TDate(), nil
	case "TIME":
		return TTime(), nil
	case "TIMESTAMP":
		return TTimestamp(), nil
	case "DECIMAL":
		if err := p.expect('('); err != nil {
			return Type{}, err
		}
		prec, err := p.number()
		if err != nil {
			return Type{}, err
		}
		if err := p.expect(','); err != nil {
			return Type{}, err
		}
		scale, err := p.number()
		if err != nil {
			return Type{}, err
		}
		if err := p.expect(')'); err != nil {
			return Type{}, err
		}
		t := DecimalOf(prec, scale)
		if err := t.Validate(); err != nil {
			return Type{}, p.errf("%v", err)
		}
		return t, nil
	case "ARRAY":
		if err := p.expect('<'); err != nil {
			return Type{}, err
		}
		e, err := p.parse(depth + 1)
		if err != nil {
			return Type{}, err
		}
		if err := p.expect('>'); err != nil {
			return Type{}, err
		}
		return ArrayOf(e), nil
	case "MAP":
		if err := p.expect('<'); err != nil {
			return Type{}, err
		}
		k, err := p.parse(depth + 1)
		if err != nil {
			return Type{}, err
		}
		if err := p.expect(','); err != nil {
			return Type{}, err
		}
		v, err := p.parse(depth + 1)
		if err != nil {
			return Type{}, err
		}
		if err := p.expect('>'); err != nil {
			return Type{}, err
		}
		return MapOf(k, v), nil
	case "STRUCT":
		if err := p.expect('<'); err != nil {
			return Type{}, err
		}
		var fields []Field
		p.skipSpace()
		if p.pos < len(p.s) && p.s[p.pos] == '>' {
			p.pos++
			return StructOf(), nil
		}
		for {
			fname, err := p.fieldName()
			if err != nil {
				return Type{}, err
			}
			ft, err := p.parse(depth + 1)
			if err != nil {
				return Type{}, err
			}
			fields = append(fields, Field{Name: fname, Type: ft})
			p.skipSpace()
			if p.pos < len(p.s) && p.s[p.pos] == ',' {
				p.pos++
				continue
			}
			if err := p.expect('>'); err != nil {
				return Type{}, err
			}
			return StructOf(fields...), nil
		}
	case "":
		return Type{}, p.errf("expected a type")
	}
	return Type{}, p.errf("unknown type %q", name)
}

func (p *typeParser) fieldName() (string, error) {
	p.skipSpace()
	if p.pos < len(p.s) && p.s[p.pos] == '`' {
		end := strings.IndexByte(p.s[p.pos+1:], '`')
		if end < 0 {
			return "", p.errf("unterminated quoted field name")
		}
		name := p.s[p.pos+1 : p.pos+1+end]
		p.pos += end + 2
		return name, nil
	}
	w := p.word()
	if w == "" {
		return "", p.errf("expected a field name")
	}
	return strings.ToUpper(w), nil
}
