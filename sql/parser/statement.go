package parser

import (
	"strconv"

	"github.com/streamlite/streamlite/sql/ast"
)

// statement parses one statement and fills in its position and source text.
func (p *parser) statement() ast.Statement {
	start := p.cur()
	var s ast.Statement
	switch {
	case p.isKw("CREATE"):
		s = p.create()
	case p.isKw("INSERT"):
		s = p.insert()
	case p.isKw("SELECT"):
		s = &ast.Select{Query: p.query()}
	case p.isKw("DROP"):
		s = p.drop()
	case p.isKw("TERMINATE"):
		s = p.terminate()
	case p.isKw("SHOW"), p.isKw("LIST"):
		s = p.show()
	case p.isKw("DESCRIBE"):
		s = p.describe()
	case p.isKw("PRINT"):
		s = p.printTopic()
	case p.isKw("SET"):
		p.advance()
		name := p.stringLit("a property name")
		p.expectOp("=")
		s = &ast.SetProperty{Name: name, Value: p.stringLit("a property value")}
	case p.isKw("UNSET"):
		p.advance()
		s = &ast.UnsetProperty{Name: p.stringLit("a property name")}
	case p.isKw("EXPLAIN"):
		s = p.explain()
	case p.isKw("ALTER"):
		s = p.alter()
	case p.isKw("ASSERT"):
		s = p.assert()
	default:
		p.failExpecting("a statement (CREATE, INSERT, SELECT, DROP, TERMINATE, SHOW, LIST, DESCRIBE, PRINT, SET, UNSET, EXPLAIN, ALTER, ASSERT)")
	}
	b := s.Base()
	b.At = start.pos
	end := p.toks[p.i-1].end
	if end < start.off {
		end = start.off
	}
	b.Text = p.src[start.off:end]
	return s
}

func (p *parser) stringLit(what string) string {
	t := p.cur()
	if t.kind != tString {
		p.failExpecting(what)
	}
	p.i++
	return t.text
}

func (p *parser) sourceKind() ast.SourceKind {
	switch {
	case p.acceptKw("STREAM"):
		return ast.KindStream
	case p.acceptKw("TABLE"):
		return ast.KindTable
	}
	p.failExpecting("{'STREAM', 'TABLE'}")
	return 0
}

func (p *parser) create() ast.Statement {
	p.expectKw("CREATE")
	orReplace := false
	if p.acceptKw("OR") {
		p.expectKw("REPLACE")
		orReplace = true
	}
	if !orReplace && p.isKw("TYPE") {
		p.advance()
		ct := &ast.CreateType{}
		if p.acceptKw("IF") {
			p.expectKw("NOT")
			p.expectKw("EXISTS")
			ct.IfNotExists = true
		}
		ct.Name = p.ident("a type name")
		p.expectKw("AS")
		ct.Type = p.typ()
		return ct
	}
	source := p.acceptKw("SOURCE")
	kind := p.sourceKind()
	ifNotExists := false
	if p.acceptKw("IF") {
		p.expectKw("NOT")
		p.expectKw("EXISTS")
		ifNotExists = true
	}
	name := p.ident("a source name")
	var cols []ast.ColumnDef
	hasCols := false
	if p.isOp("(") {
		hasCols = true
		cols = p.columnDefs()
	}
	var props []ast.Property
	if p.acceptKw("WITH") {
		props = p.properties()
		p.checkWindowProps(props)
	}
	if !hasCols && !source && p.acceptKw("AS") {
		return &ast.CreateAsSelect{Kind: kind, OrReplace: orReplace, IfNotExists: ifNotExists,
			Name: name, Properties: props, Query: p.query()}
	}
	return &ast.CreateSource{Kind: kind, OrReplace: orReplace, IsSource: source,
		IfNotExists: ifNotExists, Name: name, Columns: cols, Properties: props}
}

func (p *parser) columnDefs() []ast.ColumnDef {
	p.expectOp("(")
	var cols []ast.ColumnDef
	for {
		cols = append(cols, p.columnDef())
		if !p.acceptOp(",") {
			break
		}
	}
	p.expectOp(")")
	return cols
}

func (p *parser) columnDef() ast.ColumnDef {
	at := p.cur().pos
	c := ast.ColumnDef{At: at, Name: p.ident("a column name")}
	c.Type = p.typ()
	switch {
	case p.acceptKw("KEY"):
		c.Constraint = ast.ColKey
	case p.isKw("PRIMARY"):
		p.advance()
		p.expectKw("KEY")
		c.Constraint = ast.ColPrimaryKey
	case p.acceptKw("HEADERS"):
		c.Constraint = ast.ColHeaders
	case p.acceptKw("HEADER"):
		p.expectOp("(")
		c.Constraint = ast.ColHeader
		c.HeaderKey = p.stringLit("a header key string")
		p.expectOp(")")
	}
	return c
}

// properties parses (name = literal, ...) after WITH.
func (p *parser) properties() []ast.Property {
	p.expectOp("(")
	var props []ast.Property
	for {
		t := p.cur()
		var name string
		switch {
		case t.kind == tString:
			p.advance()
			name = toUpperASCII(t.text)
		case t.kind == tIdent || t.kind == tQuoted:
			p.advance()
			name = toUpperASCII(t.text)
		default:
			p.failExpecting("a property name")
		}
		p.expectOp("=")
		props = append(props, ast.Property{At: t.pos, Name: name, Value: p.literal()})
		if !p.acceptOp(",") {
			break
		}
	}
	p.expectOp(")")
	return props
}

// checkWindowProps applies ksqlDB's parse-time rule on windowed source properties.
func (p *parser) checkWindowProps(props []ast.Property) {
	var typ, size *ast.Property
	for i := range props {
		switch props[i].Name {
		case "WINDOW_TYPE":
			typ = &props[i]
		case "WINDOW_SIZE":
			size = &props[i]
		}
	}
	if typ != nil && size != nil && typ.Value.Kind == ast.LitString && toUpperASCII(typ.Value.Text) == "SESSION" {
		panic(bailout{err: &Error{Line: size.At.Line, Column: size.At.Column,
			Message: "'WINDOW_SIZE' should not be set for SESSION windows."}})
	}
}

func toUpperASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// literal parses a constant: string, signed number, TRUE, FALSE or NULL.
func (p *parser) literal() *ast.Literal {
	t := p.cur()
	switch {
	case t.kind == tString:
		p.advance()
		return &ast.Literal{At: t.pos, Kind: ast.LitString, Text: t.text}
	case t.kind == tInteger || t.kind == tDecimal || t.kind == tFloat:
		p.advance()
		return p.number(t, "", t.pos)
	case t.kind == tOp && (t.text == "-" || t.text == "+"):
		n := p.peek(1)
		if n.kind == tInteger || n.kind == tDecimal || n.kind == tFloat {
			p.i += 2
			sign := ""
			if t.text == "-" {
				sign = "-"
			}
			return p.number(n, sign, t.pos)
		}
	case p.isKw("TRUE"), p.isKw("FALSE"):
		p.advance()
		return &ast.Literal{At: t.pos, Kind: ast.LitBoolean, Text: t.text, Bool: t.text == "TRUE"}
	case p.isKw("NULL"):
		p.advance()
		return &ast.Literal{At: t.pos, Kind: ast.LitNull, Text: "NULL"}
	}
	p.failExpecting("a literal")
	return nil
}

// number builds a numeric literal from t with an optional sign; at is where the literal
// (its sign, if any) starts.
func (p *parser) number(t token, sign string, at ast.Pos) *ast.Literal {
	text := sign + t.raw
	switch t.kind {
	case tDecimal:
		return &ast.Literal{At: at, Kind: ast.LitDecimal, Text: text}
	case tFloat:
		return &ast.Literal{At: at, Kind: ast.LitDouble, Text: text}
	}
	v, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		t.pos = at
		p.failPlain(t, "Invalid numeric literal: "+text)
	}
	kind := ast.LitBigint
	if v >= -1<<31 && v < 1<<31 {
		kind = ast.LitInt
	}
	return &ast.Literal{At: at, Kind: kind, Text: text, Int: v}
}

func (p *parser) insert() ast.Statement {
	p.expectKw("INSERT")
	p.expectKw("INTO")
	target := p.ident("a source name")
	var props []ast.Property
	if p.acceptKw("WITH") {
		props = p.properties()
		return &ast.InsertInto{Target: target, Properties: props, Query: p.query()}
	}
	if p.isKw("SELECT") {
		return &ast.InsertInto{Target: target, Query: p.query()}
	}
	iv := &ast.InsertValues{Target: target}
	if p.acceptOp("(") {
		for {
			iv.Columns = append(iv.Columns, p.ident("a column name"))
			if !p.acceptOp(",") {
				break
			}
		}
		p.expectOp(")")
	}
	p.expectKw("VALUES")
	p.expectOp("(")
	if !p.isOp(")") {
		iv.Values = p.exprList()
	}
	p.expectOp(")")
	return iv
}

func (p *parser) drop() ast.Statement {
	p.expectKw("DROP")
	if p.acceptKw("TYPE") {
		d := &ast.DropType{}
		if p.acceptKw("IF") {
			p.expectKw("EXISTS")
			d.IfExists = true
		}
		d.Name = p.ident("a type name")
		return d
	}
	d := &ast.DropSource{Kind: p.sourceKind()}
	if p.acceptKw("IF") {
		p.expectKw("EXISTS")
		d.IfExists = true
	}
	d.Name = p.ident("a source name")
	if p.acceptKw("DELETE") {
		p.expectKw("TOPIC")
		d.DeleteTopic = true
	}
	return d
}

func (p *parser) terminate() ast.Statement {
	p.expectKw("TERMINATE")
	if p.acceptKw("ALL") {
		return &ast.Terminate{All: true}
	}
	t := p.cur()
	if t.kind != tIdent && t.kind != tQuoted && t.kind != tString {
		p.failExpecting("a query id or ALL")
	}
	p.advance()
	id := t.raw
	if t.kind != tIdent {
		id = t.text
	}
	return &ast.Terminate{QueryID: id}
}

func (p *parser) show() ast.Statement {
	p.advance() // SHOW or LIST
	s := &ast.Show{}
	if p.isKw("ALL") && p.isKwAt(1, "TOPICS") {
		p.advance()
		s.All = true
	}
	switch {
	case p.acceptKw("STREAMS"):
		s.What = ast.ShowStreams
	case p.acceptKw("TABLES"):
		s.What = ast.ShowTables
	case p.acceptKw("TOPICS"):
		s.What = ast.ShowTopics
	case p.acceptKw("QUERIES"):
		s.What = ast.ShowQueries
	case p.acceptKw("PROPERTIES"):
		s.What = ast.ShowProperties
	case p.acceptKw("FUNCTIONS"):
		s.What = ast.ShowFunctions
	case p.acceptKw("TYPES"):
		s.What = ast.ShowTypes
	default:
		p.failExpecting("{'STREAMS', 'TABLES', 'TOPICS', 'QUERIES', 'PROPERTIES', 'FUNCTIONS', 'TYPES'}")
	}
	s.Extended = p.acceptKw("EXTENDED")
	return s
}

// printTopic parses PRINT topic [FROM BEGINNING] [INTERVAL|SAMPLE n] [LIMIT n]. The topic is a
// 'string', a quoted name or a bare one; all keep their case, as in ksqlDB.
func (p *parser) printTopic() ast.Statement {
	p.expectKw("PRINT")
	pr := &ast.Print{Interval: 1}
	t := p.cur()
	switch {
	case t.kind == tString || t.kind == tQuoted:
		pr.Topic = t.text
	case isIdentTok(t):
		pr.Topic = t.raw
	default:
		p.failExpecting("a topic name")
	}
	p.advance()
	if p.acceptKw("FROM") {
		p.expectKw("BEGINNING")
		pr.FromBeginning = true
	}
	if p.acceptKw("INTERVAL") || p.acceptKw("SAMPLE") {
		pr.Interval = p.count()
	}
	if p.acceptKw("LIMIT") {
		pr.Limit, pr.HasLimit = p.count(), true
	}
	return pr
}

// count parses a non-negative integer that fits Java's int (PRINT's INTERVAL and LIMIT).
func (p *parser) count() int {
	t := p.cur()
	if t.kind != tInteger {
		p.failExpecting("INTEGER_VALUE")
	}
	p.advance()
	v, err := strconv.ParseInt(t.raw, 10, 32)
	if err != nil {
		p.failPlain(t, "Invalid numeric literal: "+t.raw)
	}
	return int(v)
}

func (p *parser) describe() ast.Statement {
	p.expectKw("DESCRIBE")
	d := &ast.Describe{}
	if p.isKw("FUNCTION") && isIdentTok(p.peek(1)) {
		p.advance()
		d.Function = true
		d.Name = p.ident("a function name")
		return d
	}
	if p.isKw("EXTENDED") && isIdentTok(p.peek(1)) {
		p.advance()
		d.Extended = true
	}
	d.Name = p.ident("a source name")
	return d
}

func (p *parser) explain() ast.Statement {
	p.expectKw("EXPLAIN")
	switch {
	case p.isKw("SELECT"), p.isKw("CREATE"), p.isKw("INSERT"):
		return &ast.Explain{Statement: p.statement()}
	}
	t := p.cur()
	if t.kind != tIdent && t.kind != tQuoted {
		p.failExpecting("a query id or statement")
	}
	p.advance()
	id := t.raw
	if t.kind == tQuoted {
		id = t.text
	}
	return &ast.Explain{QueryID: id}
}

func (p *parser) alter() ast.Statement {
	p.expectKw("ALTER")
	a := &ast.AlterSource{Kind: p.sourceKind(), Name: p.ident("a source name")}
	for {
		p.expectKw("ADD")
		p.acceptKw("COLUMN")
		at := p.cur().pos
		name := p.ident("a column name")
		a.Columns = append(a.Columns, ast.ColumnDef{At: at, Name: name, Type: p.typ()})
		if !p.acceptOp(",") {
			break
		}
	}
	return a
}

func (p *parser) assert() ast.Statement {
	p.expectKw("ASSERT")
	a := &ast.Assert{}
	if p.acceptKw("NOT") {
		p.expectKw("EXISTS")
		a.NotExists = true
	}
	resource := func() string {
		t := p.cur()
		if t.kind == tString {
			p.advance()
			return t.text
		}
		return p.ident("a name")
	}
	switch {
	case p.acceptKw("TOPIC"):
		a.Kind = ast.AssertTopic
		a.Name = resource()
		if p.acceptKw("WITH") {
			a.Properties = p.properties()
		}
	case p.acceptKw("SCHEMA"):
		a.Kind = ast.AssertSchema
		if p.acceptKw("SUBJECT") {
			a.Name = resource()
		}
		if p.acceptKw("ID") {
			a.ID = p.literal()
		}
	default:
		p.failExpecting("{'TOPIC', 'SCHEMA', 'NOT'}")
	}
	if p.acceptKw("TIMEOUT") {
		d := p.duration()
		a.Timeout = &d
	}
	return a
}
