package engine

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/streamlite/streamlite/sql/ast"
	"github.com/streamlite/streamlite/sql/serde"
	"github.com/streamlite/streamlite/sql/types"
)

// Namespace says where a source's column lives in a record.
type Namespace int

// Column namespaces.
const (
	NSValue   Namespace = iota // a field of the value
	NSKey                      // the key (KEY / PRIMARY KEY)
	NSHeaders                  // every header, HEADERS
	NSHeader                   // one header's value, HEADER('k')
)

// Column is one column of a source.
type Column struct {
	Name      string
	Type      types.Type
	NS        Namespace
	HeaderKey string // for NSHeader
}

// Source is a stream or table in the catalog.
type Source struct {
	Name        string
	Table       bool
	IsSource    bool // CREATE SOURCE: read-only
	Topic       string
	Columns     []Column
	KeyFormat   serde.Format
	ValueFormat serde.Format
	// KeyDelimiter and ValueDelimiter are the DELIMITED separators.
	KeyDelimiter, ValueDelimiter rune
	// WrapSingleValue is false when a single value column is written bare.
	WrapSingleValue bool
	// TimestampColumn names the column the record time comes from, "" for
	// the record's own timestamp.
	TimestampColumn string
	// TimestampFormat parses a STRING timestamp column.
	TimestampFormat string
	// Partitions is the topic's partition count the WITH clause asked for,
	// 0 when it did not.
	Partitions int
	// WindowType is SESSION, TUMBLING or HOPPING for a source whose keys
	// are windowed (WITH WINDOW_TYPE), "" otherwise.
	WindowType string
	// WindowSize is a TUMBLING or HOPPING source's WINDOW_SIZE in ms, 0
	// when not given (window ends then come with the records).
	WindowSize int64
}

// keyColumns and valueColumns split the columns by namespace.
func (s *Source) keyColumns() []Column   { return s.columns(NSKey) }
func (s *Source) valueColumns() []Column { return s.columns(NSValue) }

func (s *Source) columns(ns Namespace) []Column {
	var out []Column
	for _, c := range s.Columns {
		if c.NS == ns {
			out = append(out, c)
		}
	}
	return out
}

// keySerde and valueSerde build the source's serializers.
func (s *Source) keySerde() (*serde.Serde, error) {
	return serde.New(serde.Options{Format: s.KeyFormat, Columns: serdeColumns(s.keyColumns()), Unwrapped: true, Delimiter: s.KeyDelimiter})
}

func (s *Source) valueSerde() (*serde.Serde, error) {
	vc := s.valueColumns()
	return serde.New(serde.Options{Format: s.ValueFormat, Columns: serdeColumns(vc), Unwrapped: len(vc) == 1 && !s.WrapSingleValue, Delimiter: s.ValueDelimiter})
}

func serdeColumns(cs []Column) []serde.Column {
	out := make([]serde.Column, len(cs))
	for i, c := range cs {
		out[i] = serde.Column{Name: c.Name, Type: c.Type}
	}
	return out
}

// SchemaString is the column list as DESCRIBE prints it: "ID BIGINT KEY, V STRING".
func (s *Source) SchemaString() string {
	parts := make([]string, len(s.Columns))
	for i, c := range s.Columns {
		p := quoteName(c.Name) + " " + c.Type.String()
		switch c.NS {
		case NSKey:
			if s.Table {
				p += " PRIMARY KEY"
			} else {
				p += " KEY"
			}
		case NSHeaders:
			p += " HEADERS"
		case NSHeader:
			p += " HEADER('" + c.HeaderKey + "')"
		}
		parts[i] = p
	}
	return strings.Join(parts, ", ")
}

// quoteName backticks a name that is not a plain upper-case identifier.
func quoteName(n string) string {
	if ast.QuoteIdent(n, false) != n {
		return "`" + n + "`"
	}
	return n
}

// withProps is a statement's WITH (...) clause by upper-cased name.
type withProps map[string]*ast.Literal

func propsOf(ps []ast.Property) withProps {
	out := withProps{}
	for _, p := range ps {
		out[strings.ToUpper(p.Name)] = p.Value
	}
	return out
}

func (w withProps) str(name string) (string, bool) {
	l, ok := w[name]
	if !ok || l == nil {
		return "", false
	}
	return l.Text, true
}

func (w withProps) int(name string) (int, bool, error) {
	l, ok := w[name]
	if !ok || l == nil {
		return 0, false, nil
	}
	n, err := strconv.Atoi(l.Text)
	if err != nil {
		return 0, true, fmt.Errorf("invalid value for %s: %s", name, l.Text)
	}
	return n, true, nil
}

// astType converts a parsed type to a types.Type.
func astType(t *ast.Type) (types.Type, error) {
	return types.ParseType(t.String())
}
