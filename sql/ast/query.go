package ast

// Query is a SELECT.
type Query struct {
	At       Pos
	Distinct bool
	Select   []SelectItem
	From     Relation
	Window   *Window // nil when absent
	Where    Expr    // nil when absent
	GroupBy  []Expr
	// PartitionBy holds the PARTITION BY expressions; nil when absent,
	// empty but non-nil for PARTITION BY (), which planning rejects.
	PartitionBy []Expr
	Having      Expr // nil when absent
	Emit        EmitKind
	// Limit is the LIMIT value; HasLimit says whether one was given.
	Limit    int64
	HasLimit bool
}

// Pos implements Node.
func (q *Query) Pos() Pos { return q.At }

// EmitKind is the result materialization of a query.
type EmitKind int

// Emit kinds: none given, EMIT CHANGES, EMIT FINAL.
const (
	EmitNone EmitKind = iota
	EmitChanges
	EmitFinal
)

// SelectItem is one entry of the select list: an expression with an optional alias, or
// * / source.* (Expr is then an *AllColumns).
type SelectItem struct {
	Expr  Expr
	Alias string // empty when absent
}

// Relation is a FROM item: a *SourceRef or a *Join.
type Relation interface {
	Node
	relationNode()
}

// SourceRef names a stream or table, with an optional alias.
type SourceRef struct {
	At    Pos
	Name  string
	Alias string // empty when absent
}

// JoinType is the kind of a join.
type JoinType int

// Join types. JoinInner covers both JOIN and INNER JOIN.
const (
	JoinInner JoinType = iota
	JoinLeft
	JoinRight
	JoinFull
)

// String is the join type's keyword.
func (j JoinType) String() string {
	switch j {
	case JoinInner:
		return "INNER"
	case JoinLeft:
		return "LEFT"
	case JoinRight:
		return "RIGHT"
	case JoinFull:
		return "FULL"
	}
	return "?"
}

// Join is Left [type] JOIN Right [WITHIN ...] ON On. Joins nest to the left for n-way joins.
type Join struct {
	At     Pos
	Type   JoinType
	Left   Relation
	Right  *SourceRef
	Within *JoinWindow // nil when absent
	On     Expr
}

// Pos implements Node.
func (r *SourceRef) Pos() Pos { return r.At }

// Pos implements Node.
func (j *Join) Pos() Pos { return j.At }

func (*SourceRef) relationNode() {}
func (*Join) relationNode()      {}

// TimeUnit is a unit of a duration.
type TimeUnit int

// Time units accepted in windows and WITHIN clauses (singular and plural spellings).
const (
	UnitNanosecond TimeUnit = iota
	UnitMicrosecond
	UnitMillisecond
	UnitSecond
	UnitMinute
	UnitHour
	UnitDay
)

// String is the plural unit name.
func (u TimeUnit) String() string {
	switch u {
	case UnitNanosecond:
		return "NANOSECONDS"
	case UnitMicrosecond:
		return "MICROSECONDS"
	case UnitMillisecond:
		return "MILLISECONDS"
	case UnitSecond:
		return "SECONDS"
	case UnitMinute:
		return "MINUTES"
	case UnitHour:
		return "HOURS"
	case UnitDay:
		return "DAYS"
	}
	return "?"
}

// Nanos is the length of one unit in nanoseconds.
func (u TimeUnit) Nanos() int64 {
	switch u {
	case UnitNanosecond:
		return 1
	case UnitMicrosecond:
		return 1e3
	case UnitMillisecond:
		return 1e6
	case UnitSecond:
		return 1e9
	case UnitMinute:
		return 60e9
	case UnitHour:
		return 3600e9
	case UnitDay:
		return 86400e9
	}
	return 0
}

// Duration is a count of a unit, e.g. 10 SECONDS.
type Duration struct {
	At    Pos
	Value int64
	Unit  TimeUnit
}

// Millis is the duration in milliseconds (truncated for sub-millisecond units).
func (d Duration) Millis() int64 { return d.Value * d.Unit.Nanos() / 1e6 }

// JoinWindow is the WITHIN clause of a stream-stream join. Before and After are equal for
// WITHIN n unit; WITHIN (a, b) sets them apart.
type JoinWindow struct {
	At            Pos
	Before, After Duration
	Grace         *Duration // nil when absent
}

// WindowKind is the kind of a WINDOW clause.
type WindowKind int

// Window kinds.
const (
	WindowTumbling WindowKind = iota
	WindowHopping
	WindowSession
)

// String is the window kind's keyword.
func (k WindowKind) String() string {
	switch k {
	case WindowTumbling:
		return "TUMBLING"
	case WindowHopping:
		return "HOPPING"
	case WindowSession:
		return "SESSION"
	}
	return "?"
}

// Window is the WINDOW clause of a query. Size is the session gap for SESSION windows.
type Window struct {
	At        Pos
	Kind      WindowKind
	Size      Duration
	Advance   *Duration // HOPPING only
	Retention *Duration // nil when absent
	Grace     *Duration // nil when absent
}
