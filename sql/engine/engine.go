package engine

import (
	"errors"
	"maps"
	"slices"
	"strings"

	"github.com/streamlite/streamlite/sql/ast"
	"github.com/streamlite/streamlite/sql/expr"
	"github.com/streamlite/streamlite/sql/parser"
	"github.com/streamlite/streamlite/sql/serde"
	"github.com/streamlite/streamlite/sql/types"
)

// Phase says at which step a statement or record failed, as ksqlDB's
// exception types tell them apart.
type Phase int

// Phases of failure.
const (
	PhaseParse     Phase = iota + 1 // a syntax error
	PhaseStatement                  // a statement rejected
	PhaseRuntime                    // processing a record
)

// Error is an engine error with its phase and, for SQL errors, the
// position: a syntax error's, and a planning error's (errpos.go says
// which token each blames). Line and Column are 1-based in the
// statement's text, 0 when there is none.
type Error struct {
	Phase        Phase
	Line, Column int
	// Msg is ksqlDB's message; it does not repeat the position, except
	// for a compile error's "line L:C: " ksqlDB's corpora expect.
	Msg string
	// cause is the error Msg was taken from, when it was not an *Error.
	cause error
}

func (e *Error) Error() string { return e.Msg }

// Unwrap is the error Msg was taken from, nil when none.
func (e *Error) Unwrap() error { return e.cause }

// statementErr is a statement refused, with ksqlDB's message. When an
// argument is an error carrying a position (a compile error of package
// expr, or an *Error), the result takes it.
func statementErr(format string, args ...any) error {
	var p ast.Pos
	for _, a := range args {
		if err, ok := a.(error); ok {
			if ap, ok := posOf(err); ok {
				p = ap
				break
			}
		}
	}
	return posErr(p, format, args...)
}

// Header is a record header.
type Header struct {
	Key   string
	Value []byte
}

// Record is one record of a topic, as bytes.
type Record struct {
	Key, Value []byte
	Timestamp  int64
	Headers    []Header
	Partition  int32
	Offset     int64
	// Window is the window of a windowed key, nil otherwise.
	Window *Window
}

// Window is a record's window: [Start, End) in ms for a time window;
// for a session, Start and End are its first and last record's times.
type Window struct {
	Start, End int64
	Session    bool
}

// topic is an in-memory topic of the driver.
type topic struct {
	name       string
	partitions int
	records    []Record
}

// Engine is the SQL engine in driver mode: topics in memory, every
// persistent query processing its input one record at a time, each
// record fully processed before the next, as ksqlDB's test driver does.
// It is the engine the conformance runner scores; the Kafka-protocol
// runtime shares its catalog and operators. Not safe for concurrent use.
type Engine struct {
	props   map[string]string
	sources map[string]*Source
	order   []string // source names in creation order
	topics  map[string]*topic
	queries []*query
	// inputs are the records produced from outside, in order; Drain
	// delivers those from next on.
	inputs []inputRef
	next   int
	// Skipped counts records a query could not deserialize.
	Skipped int
	// queryCount numbers the queries, for their ids.
	queryCount int
}

// New returns an empty engine with session properties props.
func New(props map[string]string) *Engine {
	p := map[string]string{}
	for k, v := range props {
		p[k] = v
	}
	return &Engine{props: p, sources: map[string]*Source{}, topics: map[string]*topic{}}
}

// CreateTopic makes a topic (the conformance runner's topic set-up).
func (e *Engine) CreateTopic(name string, partitions int) {
	if _, ok := e.topics[name]; !ok {
		e.topics[name] = &topic{name: name, partitions: max(partitions, 1)}
	}
}

// Source returns the source named name (canonical case), or nil.
func (e *Engine) Source(name string) *Source { return e.sources[name] }

// SourceForTopic returns the first source declared on topic, or nil.
func (e *Engine) SourceForTopic(t string) *Source {
	for _, n := range e.order {
		if s := e.sources[n]; s != nil && s.Topic == t {
			return s
		}
	}
	return nil
}

// addSource puts s in the catalog, replacing one of the same name.
func (e *Engine) addSource(s *Source) {
	if _, ok := e.sources[s.Name]; !ok {
		e.order = append(e.order, s.Name)
	}
	e.sources[s.Name] = s
}

// inputRef names one record produced from outside.
type inputRef struct {
	topic string
	index int
}

// Produce appends a record to topic (partition 0), creating the topic if
// needed; the next Drain delivers it to the queries reading the topic.
func (e *Engine) Produce(t string, r Record) {
	e.inputs = append(e.inputs, inputRef{t, e.append(t, r)})
}

// append adds r to topic t and returns its index.
func (e *Engine) append(t string, r Record) int {
	e.CreateTopic(t, 1)
	tp := e.topics[t]
	r.Offset = int64(len(tp.records))
	tp.records = append(tp.records, r)
	return len(tp.records) - 1
}

// Records returns every record of topic t.
func (e *Engine) Records(t string) []Record {
	if tp := e.topics[t]; tp != nil {
		return tp.records
	}
	return nil
}

// TopicNames lists the topics, sorted.
func (e *Engine) TopicNames() []string {
	return slices.Sorted(maps.Keys(e.topics))
}

// Execute parses and runs one statement. A syntax error, and a refused
// CREATE ... AS SELECT or INSERT INTO ... SELECT, is an *Error with the
// position in text of the token to blame (errpos.go).
func (e *Engine) Execute(text string) error {
	st, err := parser.ParseStatement(text)
	if err != nil {
		var pe *parser.Error
		if errors.As(err, &pe) {
			return &Error{Phase: PhaseParse, Line: pe.Line, Column: pe.Column, Msg: pe.Error()}
		}
		return &Error{Phase: PhaseParse, Msg: err.Error()}
	}
	switch s := st.(type) {
	case *ast.CreateSource:
		return e.createSource(s)
	case *ast.CreateAsSelect:
		return e.createAsSelect(s)
	case *ast.InsertInto:
		return e.insertInto(s)
	case *ast.DropSource:
		name := s.Name
		src, ok := e.sources[name]
		if !ok {
			if s.IfExists {
				return nil
			}
			return statementErr("Source %s does not exist.", name)
		}
		if s.DeleteTopic && src.IsSource {
			return statementErr("Cannot delete topic for read-only source: %s", name)
		}
		if err := e.checkUnused(src); err != nil {
			return err
		}
		delete(e.sources, name)
		e.order = slices.DeleteFunc(e.order, func(n string) bool { return n == name })
		return nil
	case *ast.Terminate:
		return e.terminate(s)
	case *ast.SetProperty:
		e.props[s.Name] = s.Value
		return nil
	case *ast.UnsetProperty:
		delete(e.props, s.Name)
		return nil
	}
	return statementErr("statement not supported yet: %s", strings.TrimSpace(text))
}

// createSource runs CREATE STREAM|TABLE (cols) WITH (...).
func (e *Engine) createSource(s *ast.CreateSource) error {
	if s.IsSource && s.OrReplace {
		kind := strings.ToLower(s.Kind.String())
		return statementErr("Cannot add %s '%s': CREATE OR REPLACE is not supported on source %ss.", kind, s.Name, kind)
	}
	for _, c := range s.Columns {
		if reservedColumn(c.Name) {
			return statementErr("'%s' is a reserved column name. You cannot use it as a name for a column.", c.Name)
		}
	}
	if old, ok := e.sources[s.Name]; ok {
		if s.IfNotExists {
			return nil
		}
		if !s.OrReplace {
			kind := "stream"
			if old.Table {
				kind = "table"
			}
			return statementErr("Cannot add %s '%s': A %s with the same name already exists", strings.ToLower(s.Kind.String()), s.Name, kind)
		}
	}
	w := propsOf(s.Properties)
	src := &Source{Name: s.Name, Table: s.Kind == ast.KindTable, IsSource: s.IsSource, WrapSingleValue: true}
	if wt, ok := w.str("WINDOW_TYPE"); ok {
		src.WindowType = strings.ToUpper(wt)
	}
	if ws, ok := w.str("WINDOW_SIZE"); ok {
		src.WindowSize = windowSizeMillis(ws)
	}
	t, ok := w.str("KAFKA_TOPIC")
	if !ok {
		return statementErr("Missing required property \"KAFKA_TOPIC\" which has no default value.")
	}
	src.Topic = t
	if err := e.formats(src, w); err != nil {
		return err
	}
	for _, c := range s.Columns {
		ty, err := astType(c.Type)
		if err != nil {
			return statementErr("%v", err)
		}
		col := Column{Name: c.Name, Type: ty}
		switch c.Constraint {
		case ast.ColKey, ast.ColPrimaryKey:
			col.NS = NSKey
		case ast.ColHeaders:
			col.NS = NSHeaders
		case ast.ColHeader:
			col.NS, col.HeaderKey = NSHeader, c.HeaderKey
		}
		src.Columns = append(src.Columns, col)
	}
	if ts, ok := w.str("TIMESTAMP"); ok {
		src.TimestampColumn = strings.ToUpper(ts)
		found := false
		for _, c := range src.Columns {
			if c.Name == src.TimestampColumn {
				found = true
				switch c.Type.Kind {
				case types.KindBigint, types.KindTimestamp:
				case types.KindString:
					if _, ok := w.str("TIMESTAMP_FORMAT"); !ok {
						return statementErr("A timestamp_format is required when the timestamp column %s is a STRING", c.Name)
					}
				default:
					return statementErr("Timestamp column, %s, should be LONG(INT64), TIMESTAMP, or a String with a timestamp_format specified.", c.Name)
				}
			}
		}
		if !found {
			return statementErr("The TIMESTAMP column set in the WITH clause does not exist in the schema: '%s'", src.TimestampColumn)
		}
	}
	if f, ok := w.str("TIMESTAMP_FORMAT"); ok {
		src.TimestampFormat = f
	}
	if err := checkWrapping(src, w); err != nil {
		return err
	}
	if _, err := src.keySerde(); err != nil {
		return statementErr("%v", err)
	}
	if _, err := src.valueSerde(); err != nil {
		return statementErr("%v", err)
	}
	parts, _, err := w.int("PARTITIONS")
	if err != nil {
		return statementErr("%v", err)
	}
	src.Partitions = parts
	e.CreateTopic(src.Topic, parts)
	e.addSource(src)
	return nil
}

// formats reads FORMAT, KEY_FORMAT, VALUE_FORMAT, the delimiters and
// WRAP_SINGLE_VALUE, with the session defaults.
func (e *Engine) formats(src *Source, w withProps) error {
	kf, vf := "KAFKA", e.props["ksql.persistence.default.format.value"]
	if v := e.props["ksql.persistence.default.format.key"]; v != "" {
		kf = v
	}
	if f, ok := w.str("FORMAT"); ok {
		for _, other := range []string{"KEY_FORMAT", "VALUE_FORMAT"} {
			if _, both := w.str(other); both {
				side := strings.TrimSuffix(other, "_FORMAT")
				return statementErr("Cannot supply both '%s' and 'FORMAT' properties, as 'FORMAT' sets both key and value formats. Either use just 'FORMAT', or use 'KEY_FORMAT' and 'VALUE_FORMAT'.", side+"_FORMAT")
			}
		}
		kf, vf = f, f
	}
	if f, ok := w.str("KEY_FORMAT"); ok {
		kf = f
	}
	if f, ok := w.str("VALUE_FORMAT"); ok {
		vf = f
	}
	if vf == "" {
		return statementErr("Statement is missing the 'VALUE_FORMAT' property from the WITH clause. Either provide one or set a default via the 'ksql.persistence.default.format.value' config.")
	}
	for _, f := range []*serde.Format{&src.KeyFormat, &src.ValueFormat} {
		name := strings.ToUpper(kf)
		if f == &src.ValueFormat {
			name = strings.ToUpper(vf)
		}
		switch serde.Format(name) {
		case serde.FormatKafka, serde.FormatJSON, serde.FormatDelimited, serde.FormatNone:
			*f = serde.Format(name)
		default:
			return statementErr("Unknown format: %s", name)
		}
	}
	for _, d := range []struct {
		prop string
		into *rune
	}{{"KEY_DELIMITER", &src.KeyDelimiter}, {"VALUE_DELIMITER", &src.ValueDelimiter}} {
		if v, ok := w.str(d.prop); ok {
			r, err := serde.ParseDelimiter(v)
			if err != nil {
				return statementErr("%v", err)
			}
			*d.into = r
		}
	}
	if v, ok := w.str("WRAP_SINGLE_VALUE"); ok {
		src.WrapSingleValue = !strings.EqualFold(v, "false")
	} else if e.props["ksql.persistence.wrap.single.values"] == "false" {
		src.WrapSingleValue = false
	}
	return nil
}

// scopeOf is the row layout expressions over src see: its columns, then
// ROWTIME, ROWPARTITION and ROWOFFSET.
func scopeOf(src *Source, qualifier string) *expr.Scope {
	sc := &expr.Scope{}
	for _, c := range src.Columns {
		sc.Columns = append(sc.Columns, expr.Column{Qualifier: qualifier, Name: c.Name, Type: c.Type})
	}
	for _, p := range []struct {
		name string
		t    types.Type
	}{{"ROWTIME", types.TBigint()}, {"ROWPARTITION", types.TInt()}, {"ROWOFFSET", types.TBigint()}} {
		sc.Columns = append(sc.Columns, expr.Column{Qualifier: qualifier, Name: p.name, Type: p.t})
	}
	return sc
}

// reservedColumn reports the pseudocolumn names no column may take.
func reservedColumn(name string) bool {
	switch name {
	case "ROWTIME", "ROWPARTITION", "ROWOFFSET", "WINDOWSTART", "WINDOWEND":
		return true
	}
	return false
}

// checkWrapping refuses WRAP_SINGLE_VALUE where it cannot apply.
func checkWrapping(src *Source, w withProps) error {
	v, ok := w.str("WRAP_SINGLE_VALUE")
	if !ok {
		return nil
	}
	if strings.EqualFold(v, "true") && (src.ValueFormat == serde.FormatKafka || src.ValueFormat == serde.FormatDelimited) {
		return statementErr("Format '%s' does not support 'WRAP_SINGLE_VALUE' set to 'true'.", src.ValueFormat)
	}
	if len(src.valueColumns()) != 1 {
		return statementErr("'WRAP_SINGLE_VALUE' is only valid for single-field value schemas")
	}
	return nil
}
