package parser

import (
	"strconv"

	"github.com/streamlite/streamlite/sql/ast"
)

// query parses SELECT ... up to (not including) the statement's end.
func (p *parser) query() *ast.Query {
	q := &ast.Query{At: p.expectKw("SELECT").pos}
	q.Distinct = p.acceptKw("DISTINCT")
	for {
		q.Select = append(q.Select, p.selectItem())
		if !p.acceptOp(",") {
			break
		}
	}
	p.expectKw("FROM")
	q.From = p.relation()
	if p.acceptKw("WINDOW") {
		q.Window = p.window()
	}
	if p.acceptKw("WHERE") {
		q.Where = p.expr()
	}
	if p.acceptKw("GROUP") {
		p.expectKw("BY")
		q.GroupBy = p.groupingList("GROUP BY")
	}
	if p.acceptKw("PARTITION") {
		p.expectKw("BY")
		q.PartitionBy = p.groupingList("PARTITION BY")
	}
	if p.acceptKw("HAVING") {
		q.Having = p.expr()
	}
	if p.acceptKw("EMIT") {
		switch {
		case p.acceptKw("CHANGES"):
			q.Emit = ast.EmitChanges
		case p.acceptKw("FINAL"):
			q.Emit = ast.EmitFinal
		default:
			p.failExpecting("{'CHANGES', 'FINAL'}")
		}
	}
	if p.acceptKw("LIMIT") {
		// A signed integer: ksqlDB parses LIMIT -1 and refuses it later.
		t := p.cur()
		if n := p.peek(1); t.kind == tOp && t.text == "-" && n.kind == tInteger {
			p.advance()
			t = n
			t.raw = "-" + n.raw
		}
		if t.kind != tInteger {
			p.failExpecting("INTEGER_VALUE")
		}
		p.advance()
		v, err := strconv.ParseInt(t.raw, 10, 64)
		if err != nil {
			p.failPlain(t, "Invalid numeric literal: "+t.raw)
		}
		q.Limit, q.HasLimit = v, true
	}
	return q
}

// groupingList parses the expressions of GROUP BY or PARTITION BY: a list of value
// expressions, or one parenthesized list "(a, b)" (ksqlDB's single grouping set).
func (p *parser) groupingList(clause string) []ast.Expr {
	if p.isOp("(") {
		save := p.i
		var list []ast.Expr
		at := p.cur()
		if p.try(func() {
			p.advance()
			if !p.isOp(")") {
				list = p.valueList()
			}
			p.expectOp(")")
			if !p.atClauseEnd() {
				p.failExpecting("the end of the clause")
			}
		}) {
			if len(list) == 0 {
				if clause == "PARTITION BY" {
					// ksqlDB rejects it when planning, not as a syntax error:
					// an empty, non-nil list says so.
					return []ast.Expr{}
				}
				p.failPlain(at, clause+" requires at least one expression")
			}
			return list
		}
		p.i = save
	}
	return p.valueList()
}

// atClauseEnd reports whether the current token ends a GROUP BY or PARTITION BY list.
func (p *parser) atClauseEnd() bool {
	t := p.cur()
	if t.kind == tEOF || t.kind == tOp && t.text == ";" {
		return true
	}
	for _, kw := range [...]string{"PARTITION", "HAVING", "EMIT", "LIMIT", "WINDOW", "WHERE", "GROUP"} {
		if p.isKw(kw) {
			return true
		}
	}
	return false
}

func (p *parser) valueList() []ast.Expr {
	var out []ast.Expr
	for {
		out = append(out, p.value())
		if !p.acceptOp(",") {
			return out
		}
	}
}

func (p *parser) selectItem() ast.SelectItem {
	t := p.cur()
	if p.isOp("*") {
		p.advance()
		return ast.SelectItem{Expr: &ast.AllColumns{At: t.pos}}
	}
	if isIdentTok(t) && p.peek(1).kind == tOp && p.peek(1).text == "." &&
		p.peek(2).kind == tOp && p.peek(2).text == "*" {
		p.i += 3
		return ast.SelectItem{Expr: &ast.AllColumns{At: t.pos, Qualifier: t.text}}
	}
	item := ast.SelectItem{Expr: p.expr()}
	if p.acceptKw("AS") {
		item.Alias = p.ident("an alias")
	} else if isIdentTok(p.cur()) {
		item.Alias = p.ident("an alias")
	}
	return item
}

func (p *parser) sourceRef() *ast.SourceRef {
	at := p.cur().pos
	r := &ast.SourceRef{At: at, Name: p.ident("a source name")}
	if p.acceptKw("AS") {
		r.Alias = p.ident("an alias")
	} else if isIdentTok(p.cur()) {
		r.Alias = p.ident("an alias")
	}
	return r
}

// relation parses a source followed by any number of joins (nested to the left).
func (p *parser) relation() ast.Relation {
	var rel ast.Relation = p.sourceRef()
	for {
		at := p.cur().pos
		jt := ast.JoinInner
		switch {
		case p.acceptKw("JOIN"):
		case p.acceptKw("INNER"):
			p.expectKw("JOIN")
		case p.acceptKw("LEFT"):
			jt = ast.JoinLeft
			p.acceptKw("OUTER")
			p.expectKw("JOIN")
		case p.acceptKw("RIGHT"):
			jt = ast.JoinRight
			p.acceptKw("OUTER")
			p.expectKw("JOIN")
		case p.acceptKw("FULL"):
			jt = ast.JoinFull
			p.acceptKw("OUTER")
			p.expectKw("JOIN")
		default:
			return rel
		}
		j := &ast.Join{At: at, Type: jt, Left: rel, Right: p.sourceRef()}
		if p.acceptKw("WITHIN") {
			j.Within = p.joinWindow()
		}
		p.expectKw("ON")
		j.On = p.expr()
		rel = j
	}
}

func (p *parser) joinWindow() *ast.JoinWindow {
	w := &ast.JoinWindow{At: p.cur().pos}
	if p.acceptOp("(") {
		w.Before = p.duration()
		p.expectOp(",")
		w.After = p.duration()
		p.expectOp(")")
	} else {
		w.Before = p.duration()
		w.After = w.Before
	}
	if p.acceptKw("GRACE") {
		p.expectKw("PERIOD")
		d := p.duration()
		w.Grace = &d
	}
	return w
}

// duration parses "n unit".
func (p *parser) duration() ast.Duration {
	t := p.cur()
	if t.kind != tInteger {
		p.failExpecting("INTEGER_VALUE")
	}
	p.advance()
	v, err := strconv.ParseInt(t.raw, 10, 64)
	if err != nil {
		p.failPlain(t, "Invalid numeric literal: "+t.raw)
	}
	d := ast.Duration{At: t.pos, Value: v}
	u := p.cur()
	unit, ok := timeUnit(u)
	if !ok {
		p.failExpecting("a time unit (MILLISECONDS, SECONDS, MINUTES, HOURS, DAYS)")
	}
	p.advance()
	d.Unit = unit
	return d
}

func timeUnit(t token) (ast.TimeUnit, bool) {
	if t.kind != tIdent {
		return 0, false
	}
	switch t.text {
	case "NANOSECOND", "NANOSECONDS":
		return ast.UnitNanosecond, true
	case "MICROSECOND", "MICROSECONDS":
		return ast.UnitMicrosecond, true
	case "MILLISECOND", "MILLISECONDS":
		return ast.UnitMillisecond, true
	case "SECOND", "SECONDS":
		return ast.UnitSecond, true
	case "MINUTE", "MINUTES":
		return ast.UnitMinute, true
	case "HOUR", "HOURS":
		return ast.UnitHour, true
	case "DAY", "DAYS":
		return ast.UnitDay, true
	}
	return 0, false
}

func (p *parser) window() *ast.Window {
	w := &ast.Window{At: p.cur().pos}
	if t := p.cur(); isIdentTok(t) && !p.isKw("TUMBLING") && !p.isKw("HOPPING") && !p.isKw("SESSION") {
		// ksqlDB allows (and ignores) a window name before the kind.
		p.advance()
	}
	switch {
	case p.acceptKw("TUMBLING"):
		w.Kind = ast.WindowTumbling
	case p.acceptKw("HOPPING"):
		w.Kind = ast.WindowHopping
	case p.acceptKw("SESSION"):
		w.Kind = ast.WindowSession
	default:
		p.failExpecting("{'TUMBLING', 'HOPPING', 'SESSION'}")
	}
	p.expectOp("(")
	if w.Kind != ast.WindowSession {
		p.expectKw("SIZE")
	}
	w.Size = p.duration()
	if w.Kind == ast.WindowHopping {
		p.expectOp(",")
		p.expectKw("ADVANCE")
		p.expectKw("BY")
		d := p.duration()
		w.Advance = &d
	}
	for p.acceptOp(",") {
		switch {
		case w.Retention == nil && w.Grace == nil && p.acceptKw("RETENTION"):
			d := p.duration()
			w.Retention = &d
		case w.Grace == nil && p.acceptKw("GRACE"):
			p.expectKw("PERIOD")
			d := p.duration()
			w.Grace = &d
		default:
			p.failExpecting("{'RETENTION', 'GRACE'}")
		}
	}
	p.expectOp(")")
	return w
}
