package parser

import (
	"strconv"

	"github.com/streamlite/streamlite/sql/ast"
)

// typ parses a SQL type.
func (p *parser) typ() *ast.Type {
	p.enter()
	defer p.leave()
	t := p.cur()
	if !isIdentTok(t) {
		p.failExpecting("a type")
	}
	p.advance()
	typ := &ast.Type{At: t.pos}
	if t.kind == tQuoted {
		typ.Kind, typ.Name = ast.TypeCustom, t.text
		return typ
	}
	switch t.text {
	case "BOOLEAN":
		typ.Kind = ast.TypeBoolean
	case "INT", "INTEGER":
		typ.Kind = ast.TypeInt
	case "BIGINT":
		typ.Kind = ast.TypeBigint
	case "DOUBLE":
		typ.Kind = ast.TypeDouble
	case "STRING", "VARCHAR":
		typ.Kind = ast.TypeString
		if p.isOp("(") {
			// ksqlDB accepts and ignores a length: VARCHAR(STRING), VARCHAR(10).
			p.typeParams()
		}
		return typ
	case "BYTES":
		typ.Kind = ast.TypeBytes
	case "DATE":
		typ.Kind = ast.TypeDate
	case "TIME":
		typ.Kind = ast.TypeTime
	case "TIMESTAMP":
		typ.Kind = ast.TypeTimestamp
	case "DECIMAL":
		typ.Kind = ast.TypeDecimal
		params := p.typeParams()
		if len(params) != 2 {
			p.failPlain(t, "DECIMAL requires precision and scale: DECIMAL(precision, scale)")
		}
		typ.Precision, typ.Scale = params[0], params[1]
		return typ
	case "ARRAY":
		p.expectOp("<")
		typ.Kind = ast.TypeArray
		typ.Elem = p.typ()
		p.expectOp(">")
		return typ
	case "MAP":
		p.expectOp("<")
		typ.Kind = ast.TypeMap
		typ.Key = p.typ()
		p.expectOp(",")
		typ.Elem = p.typ()
		p.expectOp(">")
		return typ
	case "STRUCT":
		p.expectOp("<")
		typ.Kind = ast.TypeStruct
		if !p.isOp(">") {
			for {
				name := p.ident("a field name")
				typ.Fields = append(typ.Fields, ast.StructField{Name: name, Type: p.typ()})
				if !p.acceptOp(",") {
					break
				}
			}
		}
		p.expectOp(">")
		return typ
	default:
		typ.Kind, typ.Name = ast.TypeCustom, t.text
		return typ
	}
	if p.isOp("(") {
		// ksqlDB's grammar lets any base type take parameters; only DECIMAL uses them.
		p.typeParams()
		p.failPlain(t, "type "+typ.Kind.String()+" does not take parameters")
	}
	return typ
}

// typeParams parses '(' param, ... ')' where a parameter is an integer (or the word STRING,
// which ksqlDB's grammar admits).
func (p *parser) typeParams() []int {
	p.expectOp("(")
	var out []int
	for {
		t := p.cur()
		switch {
		case t.kind == tInteger:
			v, err := strconv.Atoi(t.raw)
			if err != nil || v > 1<<20 {
				p.failPlain(t, "Invalid type parameter: "+t.raw)
			}
			out = append(out, v)
		case t.kind == tIdent && t.text == "STRING":
			out = append(out, -1)
		default:
			p.failAt(t, "Expecting {'STRING', INTEGER_VALUE}")
		}
		p.advance()
		if !p.acceptOp(",") {
			break
		}
	}
	p.expectOp(")")
	return out
}
