package sqlcli

import (
	"reflect"
	"testing"
)

func TestSplitInput(t *testing.T) {
	st := func(s string) inputItem { return inputItem{kind: itemStatement, text: s} }
	cmd := func(s string) inputItem { return inputItem{kind: itemCommand, text: s} }
	for _, c := range []struct {
		name  string
		in    string
		final bool
		items []inputItem
		rest  string
	}{
		{"one", "SHOW STREAMS;\n", false, []inputItem{st("SHOW STREAMS;")}, ""},
		{"several on a line", "SHOW STREAMS; SHOW TABLES;\n", false, []inputItem{st("SHOW STREAMS;"), st("SHOW TABLES;")}, ""},
		{"unfinished", "SELECT *\nFROM s\n", false, nil, "SELECT *\nFROM s\n"},
		{"finished over lines", "SELECT *\nFROM s;\n", false, []inputItem{st("SELECT *\nFROM s;")}, ""},
		{"one done, one not", "SHOW STREAMS; SELECT *\n", false, []inputItem{st("SHOW STREAMS;")}, "SELECT *\n"},
		{"semicolon in string", "INSERT INTO s VALUES ('a;b');\n", false, []inputItem{st("INSERT INTO s VALUES ('a;b');")}, ""},
		{"escaped quote", "INSERT INTO s VALUES ('it''s;');\n", false, []inputItem{st("INSERT INTO s VALUES ('it''s;');")}, ""},
		{"open string", "INSERT INTO s VALUES ('a;\n", false, nil, "INSERT INTO s VALUES ('a;\n"},
		{"semicolon in quoted identifier", "SELECT `a;b`, \"c;d\" FROM s;\n", false, []inputItem{st("SELECT `a;b`, \"c;d\" FROM s;")}, ""},
		{"line comment", "SHOW -- not yet;\nSTREAMS;\n", false, []inputItem{st("SHOW -- not yet;\nSTREAMS;")}, ""},
		{"block comment", "SHOW /* ; */ TABLES;\n", false, []inputItem{st("SHOW /* ; */ TABLES;")}, ""},
		{"open block comment", "/* a;\n", false, nil, "/* a;\n"},
		{"only comments", "-- hello;\n  \n", false, nil, ""},
		{"empty statements", ";;\n", false, nil, ""},
		{"command without semicolon", "exit\n", false, []inputItem{cmd("exit")}, ""},
		{"command with semicolon", "SPOOL OFF; SHOW STREAMS;\n", false, []inputItem{cmd("SPOOL OFF;"), st("SHOW STREAMS;")}, ""},
		{"command after statement", "SHOW STREAMS; quit\n", false, []inputItem{st("SHOW STREAMS;"), cmd("quit")}, ""},
		{"run script", "RUN SCRIPT '/tmp/a;b.sql'\n", false, []inputItem{cmd("RUN SCRIPT '/tmp/a;b.sql'")}, ""},
		{"run is not a command alone", "RUN x;\n", false, []inputItem{st("RUN x;")}, ""},
		{"command word inside a statement", "SELECT output\nFROM s;\n", false, []inputItem{st("SELECT output\nFROM s;")}, ""},
		{"command waits for its line", "exit", false, nil, "exit"},
		{"command at the end of a script", "SHOW STREAMS;\nexit", true, []inputItem{st("SHOW STREAMS;"), cmd("exit")}, ""},
		{"script lines", "SET 'a'='b';\nSPOOL '/tmp/x'\nSHOW STREAMS;\n", true,
			[]inputItem{st("SET 'a'='b';"), cmd("SPOOL '/tmp/x'"), st("SHOW STREAMS;")}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			items, rest := splitInput(c.in, c.final)
			for i := range items {
				items[i].off = 0
			}
			if !reflect.DeepEqual(items, c.items) || rest != c.rest {
				t.Errorf("splitInput(%q) =\n  %+v, rest %q\nwant\n  %+v, rest %q", c.in, items, rest, c.items, c.rest)
			}
		})
	}
}

func TestSplitInputOffsets(t *testing.T) {
	src := "SHOW STREAMS;\n\n  DESCRIBE s;"
	items, _ := splitInput(src, true)
	if len(items) != 2 {
		t.Fatalf("items: %+v", items)
	}
	if l, c := positionAt(src, items[1].off); l != 3 || c != 3 {
		t.Errorf("second statement at %d:%d, want 3:3", l, c)
	}
}

func TestHistoryLine(t *testing.T) {
	for in, want := range map[string]string{
		"SELECT *\nFROM s -- all of it\nEMIT CHANGES;\n": "SELECT * FROM s EMIT CHANGES;",
		"SHOW STREAMS;\n":                   "SHOW STREAMS;",
		"INSERT INTO s VALUES ('--x');\n":   "INSERT INTO s VALUES ('--x');",
		"  \n":                              "",
		"SHOW /* a */\n  TABLES; -- done\n": "SHOW /* a */ TABLES;",
	} {
		if got := historyLine(in); got != want {
			t.Errorf("historyLine(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIsPushQuery(t *testing.T) {
	for in, want := range map[string]bool{
		"SELECT * FROM s EMIT CHANGES;":             true,
		"select * from s emit final;":               true,
		"SELECT * FROM t WHERE k = 'EMIT CHANGES';": false,
		"SELECT * FROM t;":                          false,
		"SELECT * FROM t -- EMIT CHANGES\n;":        false,
	} {
		if got := isPushQuery(in); got != want {
			t.Errorf("isPushQuery(%q) = %v, want %v", in, got, want)
		}
	}
}
