package sqlcli

import (
	"strings"
)

// This file is the shell's reading of what the user typed: a small lexer that
// knows only what decides where statements end (quotes and comments), the
// splitter built on it, and the recognition of the shell's own commands. It
// is pure: no I/O, so the tests feed it strings.

// lexKind is the class of a token of lex.
type lexKind int

const (
	lexWord   lexKind = iota // identifier or keyword: letters, digits, _, @, $
	lexString                // 'string' ('' escapes a quote)
	lexQuoted                // `identifier` or "identifier"
	lexPunct                 // any other character: one token each
)

// lexToken is one token of lex. text is the source text, quotes included;
// open marks a string or quoted identifier that the input ends inside.
type lexToken struct {
	kind       lexKind
	text       string
	start, end int // byte offsets in the input
	open       bool
}

// upper returns a word's text upper-cased, and "" for other tokens.
func (t lexToken) upper() string {
	if t.kind != lexWord {
		return ""
	}
	return strings.ToUpper(t.text)
}

// lexResult is what lex found: the tokens, and whether the input ends inside a
// /* block comment */.
type lexResult struct {
	toks        []lexToken
	openComment bool
}

func isWordByte(c byte) bool {
	return c == '_' || c == '@' || c == '$' || c >= 0x80 ||
		(c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

// lex splits s into tokens, skipping whitespace, -- line comments and /* block
// comments */. It never fails: an unterminated string, identifier or comment
// ends the input.
func lex(s string) lexResult {
	var res lexResult
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			i++
		case c == '-' && i+1 < len(s) && s[i+1] == '-':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			end := strings.Index(s[i+2:], "*/")
			if end < 0 {
				res.openComment = true
				return res
			}
			i += 2 + end + 2
		case c == '\'' || c == '`' || c == '"':
			kind := lexString
			if c != '\'' {
				kind = lexQuoted
			}
			j, open := i+1, true
			for j < len(s) {
				if s[j] == c {
					if j+1 < len(s) && s[j+1] == c { // doubled quote: an escaped one
						j += 2
						continue
					}
					j++
					open = false
					break
				}
				j++
			}
			res.toks = append(res.toks, lexToken{kind: kind, text: s[i:j], start: i, end: j, open: open})
			i = j
		case isWordByte(c):
			j := i
			for j < len(s) && isWordByte(s[j]) {
				j++
			}
			res.toks = append(res.toks, lexToken{kind: lexWord, text: s[i:j], start: i, end: j})
			i = j
		default:
			res.toks = append(res.toks, lexToken{kind: lexPunct, text: s[i : i+1], start: i, end: i + 1})
			i++
		}
	}
	return res
}

// unquote returns the content of a 'string', `identifier` or "identifier"
// token, doubled quotes undone; other tokens are returned as they are.
func unquote(t lexToken) string {
	if t.kind != lexString && t.kind != lexQuoted {
		return t.text
	}
	q := t.text[:1]
	body := t.text[1:]
	if !t.open {
		body = body[:len(body)-1]
	}
	return strings.ReplaceAll(body, q+q, q)
}

// itemKind says who runs an item of input: the shell itself or the server.
type itemKind int

const (
	itemStatement itemKind = iota // a SQL statement, ';' included
	itemCommand                   // one of the shell's own commands (exit, SPOOL, RUN SCRIPT, ...)
)

// inputItem is one statement or shell command of the input, with its byte
// offset in the text it came from (for error positions in scripts).
type inputItem struct {
	kind itemKind
	text string
	off  int
}

// shellCommands are the words that start one of the shell's own commands at
// the start of a statement. They end at the first ';' or at the end of the
// line, as in ksqlDB's CLI, so `exit` and `SPOOL OFF` need no semicolon. RUN
// counts only when SCRIPT follows.
var shellCommands = map[string]bool{
	"EXIT": true, "QUIT": true, "HELP": true, "CLEAR": true, "OUTPUT": true,
	"HISTORY": true, "VERSION": true, "SPOOL": true, "RUN": true,
}

// splitInput splits text into complete items and the unfinished rest.
// Statements end at a ';' outside quotes and comments and keep it; shell
// commands (see shellCommands) end at a ';' or a newline, or at the end of
// text when final is set (a script's last line). rest is "" when what remains
// is only whitespace and comments; otherwise it is the text of the unfinished
// statement from its first token.
func splitInput(text string, final bool) (items []inputItem, rest string) {
	lr := lex(text)
	toks := lr.toks
	i := 0
	for i < len(toks) {
		if toks[i].kind == lexPunct && toks[i].text == ";" { // an empty statement
			i++
			continue
		}
		start := toks[i].start
		if isCommandStart(toks[i:]) {
			lineEnd := strings.IndexByte(text[start:], '\n')
			inLine := func(t lexToken) bool { return lineEnd < 0 || t.start < start+lineEnd }
			j := i
			for j < len(toks) && inLine(toks[j]) && !(toks[j].kind == lexPunct && toks[j].text == ";") {
				j++
			}
			switch {
			case j < len(toks) && inLine(toks[j]):
				items = append(items, inputItem{kind: itemCommand, text: strings.TrimSpace(text[start:toks[j].end]), off: start})
				i = j + 1
				continue
			case lineEnd >= 0 || (final && !lr.openComment):
				end := len(text)
				if lineEnd >= 0 {
					end = start + lineEnd
				}
				items = append(items, inputItem{kind: itemCommand, text: strings.TrimSpace(text[start:end]), off: start})
				i = j
				continue
			}
			return items, text[start:]
		}
		j := i
		for j < len(toks) && !(toks[j].kind == lexPunct && toks[j].text == ";") {
			j++
		}
		if j == len(toks) {
			return items, text[start:]
		}
		items = append(items, inputItem{kind: itemStatement, text: text[start:toks[j].end], off: start})
		i = j + 1
	}
	if lr.openComment {
		// The input ends inside a comment: keep it, so the next line can close it.
		if len(toks) > 0 {
			return items, text[toks[len(toks)-1].end:]
		}
		return items, text
	}
	return items, ""
}

// isCommandStart reports whether toks start one of the shell's own commands.
func isCommandStart(toks []lexToken) bool {
	w := toks[0].upper()
	if !shellCommands[w] {
		return false
	}
	if w == "RUN" {
		return len(toks) > 1 && toks[1].upper() == "SCRIPT"
	}
	return true
}

// firstWords returns the first n words of a statement upper-cased, skipping
// comments; it stops early at any token that is not a word.
func firstWords(stmt string, n int) []string {
	var out []string
	for _, t := range lex(stmt).toks {
		if len(out) == n || t.kind != lexWord {
			break
		}
		out = append(out, t.upper())
	}
	return out
}

// isPushQuery reports whether a SELECT statement has EMIT CHANGES or EMIT
// FINAL, which make it a push query.
func isPushQuery(stmt string) bool {
	toks := lex(stmt).toks
	for i := 0; i+1 < len(toks); i++ {
		if toks[i].upper() == "EMIT" {
			if w := toks[i+1].upper(); w == "CHANGES" || w == "FINAL" {
				return true
			}
		}
	}
	return false
}

// historyLine turns what the user typed for one or more statements, possibly
// over several lines, into the single line history keeps: -- comments are
// dropped (they would swallow the lines after them) and lines are joined with
// a space. A newline inside a string literal becomes a space too.
func historyLine(input string) string {
	var b strings.Builder
	lines := strings.Split(strings.TrimSpace(input), "\n")
	for _, l := range lines {
		l = strings.TrimSpace(stripLineComment(l))
		if l == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(l)
	}
	return b.String()
}

// stripLineComment removes a -- comment from one line, leaving -- inside
// quotes alone.
func stripLineComment(line string) string {
	var quote byte
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '`' || c == '"':
			quote = c
		case c == '-' && i+1 < len(line) && line[i+1] == '-':
			return line[:i]
		}
	}
	return line
}

// positionAt returns the 1-based line and column of byte offset off in text.
func positionAt(text string, off int) (line, col int) {
	line, col = 1, 1
	for i := 0; i < off && i < len(text); i++ {
		if text[i] == '\n' {
			line++
			col = 1
		} else if text[i]&0xC0 != 0x80 {
			col++
		}
	}
	return line, col
}
