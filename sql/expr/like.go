package expr

import (
	"fmt"
	"unicode/utf8"

	"github.com/streamlite/streamlite/sql/ast"
	"github.com/streamlite/streamlite/sql/types"
)

// likeTok is one element of a compiled LIKE pattern.
type likeTok struct {
	kind byte // 'c' a literal rune, '_' any one rune, '%' any run of runes
	r    rune
}

// compileLikePattern parses a LIKE pattern with an optional escape rune (0 for none).
func compileLikePattern(p string, esc rune) ([]likeTok, error) {
	var toks []likeTok
	rs := []rune(p)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case esc != 0 && r == esc:
			if i+1 >= len(rs) {
				return nil, fmt.Errorf("LIKE pattern must not end with escape character")
			}
			i++
			toks = append(toks, likeTok{kind: 'c', r: rs[i]})
		case r == '%':
			if len(toks) == 0 || toks[len(toks)-1].kind != '%' {
				toks = append(toks, likeTok{kind: '%'})
			}
		case r == '_':
			toks = append(toks, likeTok{kind: '_'})
		default:
			toks = append(toks, likeTok{kind: 'c', r: r})
		}
	}
	return toks, nil
}

// likeMatch matches s against toks: the iterative wildcard algorithm, backtracking only to the
// last %, so it runs in O(len(s) * len(toks)).
func likeMatch(toks []likeTok, s string) bool {
	rs := []rune(s)
	ti, si := 0, 0
	starT, starS := -1, 0
	for si < len(rs) {
		if ti < len(toks) {
			switch t := toks[ti]; {
			case t.kind == '%':
				starT, starS = ti, si
				ti++
				continue
			case t.kind == '_' || t.r == rs[si]:
				ti++
				si++
				continue
			}
		}
		if starT < 0 {
			return false
		}
		starS++
		si = starS
		ti = starT + 1
	}
	for ti < len(toks) && toks[ti].kind == '%' {
		ti++
	}
	return ti == len(toks)
}

func (c *compiler) compileLike(n *ast.Like, depth int) (*compiled, error) {
	o, err := c.compile(n.Operand, depth)
	if err != nil {
		return nil, err
	}
	p, err := c.compile(n.Pattern, depth)
	if err != nil {
		return nil, err
	}
	for _, x := range []*compiled{o, p} {
		if x.t.Kind != types.KindString && !x.isNull() {
			return nil, errAt(x.expr, "LIKE requires STRING operands but %s is %s", ast.Format(x.expr), typeName(x.t))
		}
	}
	var esc rune
	if n.Escape != "" {
		if utf8.RuneCountInString(n.Escape) != 1 {
			return nil, errAt(n, "ESCAPE must be a single character: '%s'", n.Escape)
		}
		esc, _ = utf8.DecodeRuneInString(n.Escape)
	}
	var fixed []likeTok
	if p.lit != nil && p.lit.Kind == ast.LitString {
		if fixed, err = compileLikePattern(p.lit.Text, esc); err != nil {
			return nil, errAt(n.Pattern, "%v", err)
		}
	}
	oe, pe, not := o.eval, p.eval, n.Not
	return &compiled{t: types.TBoolean(), eval: func(row []types.Value) (types.Value, error) {
		x, err := oe(row)
		if err != nil || x == nil {
			return nil, err
		}
		s, ok := x.(string)
		if !ok {
			return nil, fmt.Errorf("expr: expected STRING value, got %T", x)
		}
		toks := fixed
		if toks == nil {
			pv, err := pe(row)
			if err != nil || pv == nil {
				return nil, err
			}
			ps, ok := pv.(string)
			if !ok {
				return nil, fmt.Errorf("expr: expected STRING value, got %T", pv)
			}
			if toks, err = compileLikePattern(ps, esc); err != nil {
				return nil, nil
			}
		}
		return likeMatch(toks, s) != not, nil
	}}, nil
}
