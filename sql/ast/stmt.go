package ast

// Statement is one parsed statement.
type Statement interface {
	Node
	// Source is the statement's text as written, without the trailing semicolon.
	Source() string
	// Base gives access to the position and source text shared by all statements.
	Base() *StmtBase
}

// StmtBase holds what every statement has: where it starts and its source text. Statement
// types embed it.
type StmtBase struct {
	At   Pos
	Text string
}

// Pos implements Node.
func (b *StmtBase) Pos() Pos { return b.At }

// Source implements Statement.
func (b *StmtBase) Source() string { return b.Text }

// Base implements Statement.
func (b *StmtBase) Base() *StmtBase { return b }

// SourceKind says whether a source is a stream or a table.
type SourceKind int

// Source kinds.
const (
	KindStream SourceKind = iota
	KindTable
)

// String is STREAM or TABLE.
func (k SourceKind) String() string {
	if k == KindTable {
		return "TABLE"
	}
	return "STREAM"
}

// ColumnConstraint marks a column as a key, the headers column or a single header.
type ColumnConstraint int

// Column constraints.
const (
	ColValue      ColumnConstraint = iota // an ordinary value column
	ColKey                                // KEY (streams)
	ColPrimaryKey                         // PRIMARY KEY (tables)
	ColHeaders                            // HEADERS: all headers as ARRAY<STRUCT<KEY STRING, VALUE BYTES>>
	ColHeader                             // HEADER('k'): one header's value
)

// ColumnDef is one column of a CREATE STREAM/TABLE element list.
type ColumnDef struct {
	At         Pos
	Name       string
	Type       *Type
	Constraint ColumnConstraint
	HeaderKey  string // for ColHeader
}

// Property is one name=value of a WITH clause. Name is upper-cased.
type Property struct {
	At    Pos
	Name  string
	Value *Literal
}

// CreateSource is CREATE [OR REPLACE] [SOURCE] STREAM|TABLE [IF NOT EXISTS] name
// [(columns)] [WITH (...)].
type CreateSource struct {
	StmtBase
	Kind        SourceKind
	OrReplace   bool
	IsSource    bool // CREATE SOURCE STREAM|TABLE: read-only
	IfNotExists bool
	Name        string
	Columns     []ColumnDef
	Properties  []Property
}

// CreateAsSelect is CREATE [OR REPLACE] STREAM|TABLE [IF NOT EXISTS] name [WITH (...)] AS
// SELECT ....
type CreateAsSelect struct {
	StmtBase
	Kind        SourceKind
	OrReplace   bool
	IfNotExists bool
	Name        string
	Properties  []Property
	Query       *Query
}

// InsertInto is INSERT INTO name [WITH (...)] SELECT ....
type InsertInto struct {
	StmtBase
	Target     string
	Properties []Property
	Query      *Query
}

// InsertValues is INSERT INTO name [(columns)] VALUES (values).
type InsertValues struct {
	StmtBase
	Target  string
	Columns []string // empty when not given
	Values  []Expr
}

// Select is a bare SELECT (a push or pull query).
type Select struct {
	StmtBase
	Query *Query
}

// DropSource is DROP STREAM|TABLE [IF EXISTS] name [DELETE TOPIC].
type DropSource struct {
	StmtBase
	Kind        SourceKind
	IfExists    bool
	Name        string
	DeleteTopic bool
}

// DropType is DROP TYPE [IF EXISTS] name.
type DropType struct {
	StmtBase
	IfExists bool
	Name     string
}

// Terminate is TERMINATE query_id or TERMINATE ALL.
type Terminate struct {
	StmtBase
	All     bool
	QueryID string // as written (query ids are case-sensitive)
}

// ShowKind says what SHOW/LIST lists.
type ShowKind int

// What SHOW/LIST can list.
const (
	ShowStreams ShowKind = iota
	ShowTables
	ShowTopics
	ShowQueries
	ShowProperties
	ShowFunctions
	ShowTypes
)

// Show is SHOW|LIST STREAMS|TABLES|TOPICS|QUERIES|PROPERTIES|FUNCTIONS|TYPES [EXTENDED], or
// SHOW|LIST ALL TOPICS [EXTENDED].
type Show struct {
	StmtBase
	What     ShowKind
	Extended bool
	All      bool // SHOW ALL TOPICS: internal topics too
}

// Print is PRINT topic [FROM BEGINNING] [INTERVAL|SAMPLE n] [LIMIT n]: a topic's records as
// text.
type Print struct {
	StmtBase
	// Topic is the name as written: topic names are case-sensitive, so an unquoted name keeps
	// its case (ksqlDB's rule for PRINT), as a 'string' or `quoted` one does.
	Topic         string
	FromBeginning bool
	// Interval prints every Interval-th record; 1 (every record) when absent. The server
	// refuses less than 1, as ksqlDB does.
	Interval int
	// Limit ends the statement after Limit records; HasLimit tells LIMIT 0 from none.
	Limit    int
	HasLimit bool
}

// Describe is DESCRIBE [EXTENDED] name, or DESCRIBE FUNCTION name when Function is set.
type Describe struct {
	StmtBase
	Extended bool
	Function bool
	Name     string
}

// SetProperty is SET 'name' = 'value'.
type SetProperty struct {
	StmtBase
	Name, Value string
}

// UnsetProperty is UNSET 'name'.
type UnsetProperty struct {
	StmtBase
	Name string
}

// CreateType is CREATE TYPE [IF NOT EXISTS] name AS type.
type CreateType struct {
	StmtBase
	IfNotExists bool
	Name        string
	Type        *Type
}

// AlterSource is ALTER STREAM|TABLE name ADD [COLUMN] col type [, ADD [COLUMN] col type]....
type AlterSource struct {
	StmtBase
	Kind    SourceKind
	Name    string
	Columns []ColumnDef
}

// Explain is EXPLAIN statement or EXPLAIN query_id.
type Explain struct {
	StmtBase
	Statement Statement // nil when QueryID is set
	QueryID   string
}

// AssertKind says what an ASSERT statement checks.
type AssertKind int

// ASSERT forms.
const (
	AssertTopic AssertKind = iota
	AssertSchema
)

// Assert is ASSERT [NOT EXISTS] TOPIC name [WITH (...)] [TIMEOUT n unit] or ASSERT [NOT
// EXISTS] SCHEMA [SUBJECT name] [ID n] [TIMEOUT n unit]. (The test tool's ASSERT VALUES and
// ASSERT STREAM forms are not statements of the language: ksqlDB refuses them too.)
type Assert struct {
	StmtBase
	Kind       AssertKind
	NotExists  bool
	Name       string // topic name or schema subject; empty when absent
	ID         *Literal
	Properties []Property
	Timeout    *Duration
}
