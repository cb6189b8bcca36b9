package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/hamba/avro/v2"
	"github.com/twmb/franz-go/pkg/sr"
)

func (d *decoder) compileAvro(ctx context.Context, s sr.Schema) (avro.Schema, error) {
	cache := &avro.SchemaCache{}
	err := d.references(ctx, s, 0, map[string]bool{}, func(ref sr.SchemaReference, rs sr.Schema) error {
		if _, err := avro.ParseWithCache(rs.Schema, "", cache); err != nil {
			return fmt.Errorf("parsing referenced Avro schema %s: %w", ref.Name, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	as, err := avro.ParseWithCache(s.Schema, "", cache)
	if err != nil {
		return nil, fmt.Errorf("parsing the Avro schema: %w", err)
	}
	return as, nil
}

// avroText decodes an Avro binary payload to indented JSON: record fields in schema order,
// a union as its branch's plain value (not Confluent's {"type": value} wrapper), bytes and
// fixed as strings of code points 0-255 (Avro's JSON encoding), timestamps and dates as
// RFC 3339 strings, decimals as exact numbers.
func avroText(s avro.Schema, payload []byte) (string, error) {
	r := avro.NewReader(nil, 0).Reset(payload)
	var buf bytes.Buffer
	buf.Grow(len(payload) * 3)
	if err := avroJSON(r, s, &buf, 0); err != nil {
		return "", err
	}
	if r.Error != nil {
		return "", fmt.Errorf("decoding Avro: %w", r.Error)
	}
	var out bytes.Buffer
	out.Grow(buf.Len() * 2)
	if err := json.Indent(&out, buf.Bytes(), "", "  "); err != nil {
		return "", fmt.Errorf("decoding Avro: %w", err)
	}
	return out.String(), nil
}

// avroJSON reads one value of schema s from r and appends it as compact JSON.
func avroJSON(r *avro.Reader, s avro.Schema, buf *bytes.Buffer, depth int) error {
	if r.Error != nil {
		return fmt.Errorf("decoding Avro: %w", r.Error)
	}
	if depth > 256 {
		return errors.New("decoding Avro: values nest too deep")
	}
	var logical avro.LogicalType
	if ls, ok := s.(avro.LogicalTypeSchema); ok && ls.Logical() != nil {
		logical = ls.Logical().Type()
	}
	switch s.Type() {
	case avro.Null:
		buf.WriteString("null")
	case avro.Boolean:
		if r.ReadBool() {
			buf.WriteString("true")
		} else {
			buf.WriteString("false")
		}
	case avro.Int:
		n := r.ReadInt()
		if logical == avro.Date {
			writeJSONString(buf, time.Unix(int64(n)*86400, 0).UTC().Format("2006-01-02"))
			break
		}
		buf.Write(strconv.AppendInt(buf.AvailableBuffer(), int64(n), 10))
	case avro.Long:
		n := r.ReadLong()
		switch logical {
		case avro.TimestampMillis, avro.LocalTimestampMillis:
			writeJSONString(buf, time.UnixMilli(n).UTC().Format(time.RFC3339Nano))
		case avro.TimestampMicros, avro.LocalTimestampMicros:
			writeJSONString(buf, time.UnixMicro(n).UTC().Format(time.RFC3339Nano))
		default:
			buf.Write(strconv.AppendInt(buf.AvailableBuffer(), n, 10))
		}
	case avro.Float:
		writeJSONNumber(buf, float64(r.ReadFloat()), 32)
	case avro.Double:
		writeJSONNumber(buf, r.ReadDouble(), 64)
	case avro.String:
		writeJSONString(buf, r.ReadString())
	case avro.Bytes:
		b := r.ReadBytes()
		if logical == avro.Decimal {
			if ds, ok := s.(avro.LogicalTypeSchema).Logical().(*avro.DecimalLogicalSchema); ok {
				buf.WriteString(decimalText(b, ds.Scale()))
				break
			}
		}
		writeJSONBytes(buf, b)
	case avro.Fixed:
		fs := s.(*avro.FixedSchema)
		b := make([]byte, fs.Size())
		r.Read(b)
		if ds, ok := fs.Logical().(*avro.DecimalLogicalSchema); logical == avro.Decimal && ok {
			buf.WriteString(decimalText(b, ds.Scale()))
			break
		}
		writeJSONBytes(buf, b)
	case avro.Enum:
		symbols := s.(*avro.EnumSchema).Symbols()
		i := int(r.ReadInt())
		if i < 0 || i >= len(symbols) {
			return fmt.Errorf("decoding Avro: enum index %d out of range", i)
		}
		writeJSONString(buf, symbols[i])
	case avro.Record:
		buf.WriteByte('{')
		for i, f := range s.(*avro.RecordSchema).Fields() {
			if i > 0 {
				buf.WriteByte(',')
			}
			writeJSONString(buf, f.Name())
			buf.WriteByte(':')
			if err := avroJSON(r, f.Type(), buf, depth+1); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	case avro.Ref:
		return avroJSON(r, s.(*avro.RefSchema).Schema(), buf, depth)
	case avro.Array:
		items := s.(*avro.ArraySchema).Items()
		buf.WriteByte('[')
		first := true
		for {
			n, _ := r.ReadBlockHeader()
			if r.Error != nil {
				return fmt.Errorf("decoding Avro: %w", r.Error)
			}
			if n == 0 {
				break
			}
			for range n {
				if !first {
					buf.WriteByte(',')
				}
				first = false
				if err := avroJSON(r, items, buf, depth+1); err != nil {
					return err
				}
			}
		}
		buf.WriteByte(']')
	case avro.Map:
		values := s.(*avro.MapSchema).Values()
		buf.WriteByte('{')
		first := true
		for {
			n, _ := r.ReadBlockHeader()
			if r.Error != nil {
				return fmt.Errorf("decoding Avro: %w", r.Error)
			}
			if n == 0 {
				break
			}
			for range n {
				if !first {
					buf.WriteByte(',')
				}
				first = false
				writeJSONString(buf, r.ReadString())
				buf.WriteByte(':')
				if err := avroJSON(r, values, buf, depth+1); err != nil {
					return err
				}
			}
		}
		buf.WriteByte('}')
	case avro.Union:
		types := s.(*avro.UnionSchema).Types()
		i := int(r.ReadLong())
		if r.Error != nil {
			return fmt.Errorf("decoding Avro: %w", r.Error)
		}
		if i < 0 || i >= len(types) {
			return fmt.Errorf("decoding Avro: union branch %d out of range", i)
		}
		return avroJSON(r, types[i], buf, depth+1)
	default:
		return fmt.Errorf("decoding Avro: unexpected schema type %s", s.Type())
	}
	if r.Error != nil {
		return fmt.Errorf("decoding Avro: %w", r.Error)
	}
	return nil
}

// decimalText renders a big-endian two's complement unscaled integer with scale digits
// after the point.
func decimalText(b []byte, scale int) string {
	n := new(big.Int).SetBytes(b)
	if len(b) > 0 && b[0]&0x80 != 0 {
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	s := n.String()
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	if scale > 0 {
		if len(s) <= scale {
			s = strings.Repeat("0", scale-len(s)+1) + s
		}
		s = s[:len(s)-scale] + "." + s[len(s)-scale:]
	}
	if neg {
		s = "-" + s
	}
	return s
}
