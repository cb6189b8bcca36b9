package sqlcli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"
)

// The shell's own commands: EXIT, QUIT, HELP, CLEAR, VERSION, HISTORY,
// OUTPUT, SPOOL and RUN SCRIPT (see shellCommands), and its banner.

// runCommand runs one of the shell's own commands.
func (s *Shell) runCommand(ctx context.Context, text string, depth int) error {
	text = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(text), ";"))
	toks := lex(text).toks
	name := toks[0].upper()
	argAt := toks[0].end
	if name == "RUN" {
		argAt = toks[1].end
	}
	arg, err := commandArg(text[argAt:])
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	switch name {
	case "EXIT", "QUIT":
		return errExit
	case "HELP":
		io.WriteString(s.out, helpText)
	case "CLEAR":
		io.WriteString(s.term, "\033[H\033[2J")
	case "VERSION":
		fmt.Fprintf(s.out, "CLI %s\n", cliVersion())
		if info, err := s.client.Info(ctx); err == nil {
			fmt.Fprintf(s.out, "Server v%s located at %s\n", info.Version, s.client.URL)
		} else {
			fmt.Fprintln(s.out, err)
		}
	case "HISTORY":
		return s.printHistory()
	case "OUTPUT":
		if arg == "" {
			fmt.Fprintf(s.out, "Output format: %s\n", s.mode)
			return nil
		}
		m, err := parseOutputMode(arg)
		if err != nil {
			return err
		}
		s.mode = m
		fmt.Fprintf(s.out, "Output format set to %s\n", m)
	case "SPOOL":
		switch {
		case arg == "":
			if s.spool == nil {
				fmt.Fprintln(s.out, "Not spooling. SPOOL 'file' copies the session's output to file; SPOOL OFF stops.")
			} else {
				fmt.Fprintf(s.out, "Spooling to %s\n", s.spool.Name())
			}
		case strings.EqualFold(arg, "OFF"):
			if s.spool == nil {
				return errors.New("SPOOL OFF: not spooling")
			}
			name := s.spool.Name()
			s.stopSpool()
			fmt.Fprintf(s.out, "Spool to %s closed\n", name)
		default:
			f, err := os.Create(arg)
			if err != nil {
				return fmt.Errorf("SPOOL: %w", err)
			}
			s.stopSpool()
			s.spool = f
			s.out = io.MultiWriter(s.term, f)
			fmt.Fprintf(s.out, "Session will be spooled to %s\n", arg)
		}
	case "RUN":
		if arg == "" {
			return errors.New("RUN SCRIPT needs a file: RUN SCRIPT 'path/to/file.sql'")
		}
		if depth >= maxScriptDepth {
			return fmt.Errorf("RUN SCRIPT %s: scripts nested more than %d deep", arg, maxScriptDepth)
		}
		b, err := os.ReadFile(arg)
		if err != nil {
			return fmt.Errorf("RUN SCRIPT: %w", err)
		}
		src := string(b)
		items, rest := splitInput(src, true)
		if rest != "" {
			line, col := positionAt(src, len(src)-len(rest))
			return fmt.Errorf("%s:%d:%d: statement without its closing ';': %s", arg, line, col, firstLine(rest))
		}
		return s.runItems(ctx, items, arg, src, depth+1)
	}
	return nil
}

// commandArg reads a shell command's argument: a 'quoted string' (a quote
// inside doubled), or the rest of the line as written; "" for none.
func commandArg(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" || s[0] != '\'' {
		return s, nil
	}
	toks := lex(s).toks
	if len(toks) != 1 || toks[0].open {
		return "", fmt.Errorf("cannot read the argument %s: want one 'quoted string'", s)
	}
	return unquote(toks[0]), nil
}

func (s *Shell) stopSpool() {
	if s.spool != nil {
		s.spool.Close()
		s.spool = nil
		s.out = s.term
	}
}

// printHistory prints the history file's entries, numbered.
func (s *Shell) printHistory() error {
	if s.history == "" || !s.interactive {
		return errors.New("HISTORY: this session keeps no history")
	}
	b, err := os.ReadFile(s.history)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("HISTORY: %w", err)
	}
	for i, l := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		if l != "" {
			fmt.Fprintf(s.out, "%5d  %s\n", i+1, l)
		}
	}
	return nil
}

// cliVersion is this binary's module version.
func cliVersion() string {
	v := "dev"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v = bi.Main.Version
	}
	return "streamlite " + v
}

// banner prints the greeting in ksqlDB's CLI's shape: who, which server and
// its version, and the session's offset default.
func (s *Shell) banner(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	w := s.term
	title := "=   streamlite SQL  -  ksqlDB-compatible   ="
	rule := strings.Repeat("=", len(title))
	fmt.Fprintf(w, "\n  %s\n  %s\n  %s\n\n", rule, title, rule)
	info, err := s.client.Info(ctx)
	if err != nil {
		fmt.Fprintf(w, "CLI %s, Server located at %s is not answering:\n  %v\nStatements will fail until it does.\n\n", cliVersion(), s.client.URL, err)
	} else {
		fmt.Fprintf(w, "CLI %s, Server v%s located at %s\nServer Status: %s\n\n", cliVersion(), info.Version, s.client.URL, cmp.Or(info.Status, "unknown"))
	}
	fmt.Fprintf(w, "auto.offset.reset is '%s' for this session (the shell's default, sent with every\n"+
		"statement): push queries and CREATE ... AS SELECT read topics from the beginning.\n"+
		"UNSET 'auto.offset.reset'; gives the server's default (latest).\n\n", s.props["auto.offset.reset"])
	fmt.Fprint(w, "Having trouble? Type 'help' for a rundown of how things work!\n\n")
}

const helpText = `Statements end with ';' and may span lines; one line may hold several.
They go to the server, except:
  SET 'name'='value';          set a session property, sent with every statement
                               (auto.offset.reset starts as 'earliest')
  UNSET 'name';                drop a session property
  SELECT ... ;                 a pull query; with EMIT CHANGES a push query (Ctrl-C stops it)
  PRINT topic [FROM BEGINNING] [INTERVAL n] [LIMIT n];
                               a topic's records, if the server serves PRINT (POST /query)
Shell commands (';' optional):
  RUN SCRIPT 'file'            run the statements of a file, stopping at the first error
  SPOOL 'file' | SPOOL OFF     copy what the session prints (and the statements typed) to a file
  OUTPUT [table|changelog|json]
                               how results print: live table, +/- changes, or ksqlDB's JSON
  HISTORY                      earlier inputs (Up/Down recall them, Ctrl-R searches)
  VERSION  CLEAR  HELP  EXIT (or QUIT, or Ctrl-D)
TAB completes keywords, streams, tables, columns and topics.
`
