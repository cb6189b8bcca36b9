package serde

import (
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"errors"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/streamlite/streamlite/sql/types"
)

func encodeDelimited(row []types.Value, o Options) ([]byte, error) {
	var b strings.Builder
	for i, v := range row {
		if i > 0 {
			b.WriteRune(o.Delimiter)
		}
		if v == nil {
			continue // NULL is an empty, unquoted field
		}
		s, err := delimitedText(v, o.Columns[i])
		if err != nil {
			return nil, err
		}
		writeCSVField(&b, s, o.Delimiter, i == 0)
	}
	return []byte(b.String()), nil
}

func delimitedText(v types.Value, c Column) (string, error) {
	switch x := v.(type) {
	case bool:
		return strconv.FormatBool(x), nil
	case int32:
		return strconv.FormatInt(int64(x), 10), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case float64:
		return types.FormatDouble(x), nil
	case types.Decimal:
		return x.String(), nil
	case string:
		return x, nil
	case []byte:
		return base64.StdEncoding.EncodeToString(x), nil
	case types.Date:
		return strconv.FormatInt(int64(x), 10), nil
	case types.Time:
		return strconv.FormatInt(int64(x), 10), nil
	case types.Timestamp:
		return strconv.FormatInt(int64(x), 10), nil
	}
	return "", errors.Join(ErrEncode, errors.New("DELIMITED column "+c.Name+": unsupported value "+c.Type.String()))
}

// writeCSVField writes s quoted as Apache Commons CSV's MINIMAL quote mode does (ksqlDB's
// output): the first field of a record is quoted when it is empty or starts with a character
// that is not a letter or digit; any field is quoted when it starts with a character <= '#',
// contains the delimiter, a quote, CR or LF, or ends with a character <= ' '. Quotes inside
// are doubled.
func writeCSVField(b *strings.Builder, s string, delim rune, first bool) {
	quote := false
	if s == "" {
		quote = first
	} else {
		c, _ := utf8.DecodeRuneInString(s)
		last, _ := utf8.DecodeLastRuneInString(s)
		switch {
		case first && !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'):
			quote = true
		case c <= '#':
			quote = true
		case strings.ContainsRune(s, delim) || strings.ContainsAny(s, "\"\r\n"):
			quote = true
		case last <= ' ':
			quote = true
		}
	}
	if !quote {
		b.WriteString(s)
		return
	}
	b.WriteByte('"')
	b.WriteString(strings.ReplaceAll(s, `"`, `""`))
	b.WriteByte('"')
}

func decodeDelimited(data []byte, o Options) ([]types.Value, error) {
	var fields []string
	if len(data) > 0 {
		r := csv.NewReader(bytes.NewReader(data))
		r.Comma = o.Delimiter
		r.FieldsPerRecord = -1
		r.LazyQuotes = true
		r.ReuseRecord = false
		rec, err := r.Read()
		if err != nil && err != io.EOF {
			return nil, decodeErr("invalid DELIMITED record: %v", err)
		}
		if _, err := r.Read(); err != io.EOF {
			return nil, decodeErr("invalid DELIMITED record: more than one line")
		}
		fields = rec
	}
	if len(fields) == 0 {
		fields = []string{""}
	}
	if len(fields) != len(o.Columns) {
		if len(o.Columns) == 0 {
			return []types.Value{}, nil
		}
		return nil, decodeErr("Column count mismatch on deserialization. expected: %d, got: %d", len(o.Columns), len(fields))
	}
	row := make([]types.Value, len(fields))
	for i, f := range fields {
		if f == "" {
			continue
		}
		v, err := parseDelimitedField(f, o.Columns[i].Type)
		if err != nil {
			return nil, decodeErr("column %s: %v", o.Columns[i].Name, err)
		}
		row[i] = v
	}
	return row, nil
}

func parseDelimitedField(f string, t types.Type) (types.Value, error) {
	switch t.Kind {
	case types.KindString:
		return f, nil
	case types.KindBoolean:
		switch strings.ToLower(f) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return nil, errors.New("not a BOOLEAN: " + strconv.Quote(f))
	case types.KindInt:
		n, err := strconv.ParseInt(f, 10, 32)
		if err != nil {
			return nil, err
		}
		return int32(n), nil
	case types.KindBigint:
		return strconv.ParseInt(f, 10, 64)
	case types.KindDouble:
		return types.ParseDouble(f)
	case types.KindDecimal:
		d, err := types.ParseDecimal(f)
		if err != nil {
			return nil, err
		}
		return d.FitExact(t.Precision, t.Scale)
	case types.KindBytes:
		return base64.StdEncoding.DecodeString(f)
	case types.KindDate, types.KindTime, types.KindTimestamp:
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return nil, err
		}
		switch t.Kind {
		case types.KindDate:
			return types.Date(n), nil
		case types.KindTime:
			if n < 0 || n >= types.MsPerDay {
				return nil, errors.New("TIME out of range")
			}
			return types.Time(n), nil
		}
		return types.Timestamp(n), nil
	}
	return nil, errors.New("unsupported type " + t.String())
}
