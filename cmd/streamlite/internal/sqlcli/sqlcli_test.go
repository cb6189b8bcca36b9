package sqlcli

import (
	"testing"

	"github.com/streamlite/streamlite/sql/ast"
)

func TestRelocate(t *testing.T) {
	for _, c := range []struct {
		msg       string
		at        ast.Pos
		line, col int
		rest      string
	}{
		{"line 1:29: Column 'NOPE' cannot be resolved.", ast.Pos{Line: 10, Column: 1}, 10, 29, "Column 'NOPE' cannot be resolved."},
		{"line 1:5: x", ast.Pos{Line: 3, Column: 7}, 3, 11, "x"},
		{"line 2:5: x", ast.Pos{Line: 3, Column: 7}, 4, 5, "x"},
		{"Source X does not exist.", ast.Pos{Line: 4, Column: 2}, 4, 2, "Source X does not exist."},
	} {
		l, col, rest := relocate(c.msg, c.at)
		if l != c.line || col != c.col || rest != c.rest {
			t.Errorf("relocate(%q, %v) = %d:%d %q, want %d:%d %q", c.msg, c.at, l, col, rest, c.line, c.col, c.rest)
		}
	}
}
