package sqlcli

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/chzyer/readline"
	"github.com/spf13/cobra"

	"github.com/streamlite/streamlite/sql/ast"
	"github.com/streamlite/streamlite/sql/parser"
)

// The interactive shell, `streamlite sql` without -f: ksqlDB's CLI in shape
// (banner, ksql> prompt, statements ending in ';'), talking only to a
// ksqlDB-compatible REST server.
//
// Where each input goes:
//
//	SELECT ...;                 POST /query-stream (HTTP/1.1, delimited rows)
//	PRINT ...;                  POST /query (where ksqlDB serves PRINT)
//	SET / UNSET ...;            kept here, sent as properties with every statement
//	any other statement         POST /ksql
//	EXIT, QUIT, HELP, CLEAR, OUTPUT, HISTORY, VERSION, SPOOL, RUN SCRIPT
//	                            the shell's own commands; they end at ';' or the line's end
//
// Goroutines: the shell's own (Run) reads input, runs statements and writes
// all output. readline's goroutines edit the line and call the completer,
// which reads the catalog under its lock. On a terminal, one more goroutine
// (handleSignals) turns SIGINT into Interrupt and SIGTERM into Quit; it is
// stopped by the function handleSignals returns.

// DefaultOffsetReset is the shell's auto.offset.reset: like every ksqlDB
// tutorial's first `SET 'auto.offset.reset'='earliest';`, so that a query
// shows what is already in its topics.
const DefaultOffsetReset = "earliest"

// errExit is returned by runItems for EXIT and QUIT.
var errExit = errors.New("sqlcli: exit")

// errInterrupted is the cause of a statement's context when the user
// pressed Ctrl-C.
var errInterrupted = errors.New("interrupted")

// maxScriptDepth bounds RUN SCRIPT within RUN SCRIPT.
const maxScriptDepth = 16

// ShellConfig configures a Shell. Server is required; the zero value of
// every other field is a working default.
type ShellConfig struct {
	// Server is the base URL of the ksqlDB-compatible server.
	Server string
	// HTTP makes the requests; nil for a client with no overall timeout
	// (push queries run until stopped).
	HTTP *http.Client
	// Output is how results print: "table" (default), "changelog" or "json".
	Output string
	// In is read when not Interactive; nil for os.Stdin.
	In io.Reader
	// Out receives all output; nil for os.Stdout.
	Out io.Writer
	// Interactive reads the process's terminal with line editing (readline):
	// banner, prompts, history, completion. Without it lines are read from
	// In with no banner or prompt.
	Interactive bool
	// HistoryFile keeps the history between sessions when Interactive; ""
	// for none. `streamlite sql` passes historyPath().
	HistoryFile string
}

// Shell is an interactive SQL session against one server. Create it with
// NewShell, run it with Run, release it with Close.
type Shell struct {
	client      *Client
	term        io.Writer // the terminal (or Out)
	out         io.Writer // term, or term and the spool file
	spool       *os.File
	mode        outputMode
	props       map[string]string // session properties, sent with every statement
	cat         catalog
	comp        *completer
	catStale    bool // a statement may have changed the catalog
	interactive bool
	lines       lineReader
	history     string
	// termSize reads the size of the terminal Out is; nil when Out is not
	// a terminal. Push queries over a table print as a live table only
	// when it is set (live.go).
	termSize func() (screenSize, bool)

	mu struct {
		sync.Mutex
		cancel context.CancelCauseFunc // the running input's, nil between inputs
		quit   bool
	}
}

// NewShell returns a shell for cfg. When cfg.Interactive it opens readline on
// the terminal.
func NewShell(cfg ShellConfig) (*Shell, error) {
	mode, err := parseOutputMode(cmp.Or(cfg.Output, "table"))
	if err != nil {
		return nil, err
	}
	hc := cfg.HTTP
	if hc == nil {
		hc = &http.Client{}
	}
	out := cfg.Out
	if out == nil {
		out = os.Stdout
	}
	s := &Shell{
		client:      &Client{URL: strings.TrimRight(cfg.Server, "/"), HTTP: hc},
		term:        out,
		out:         out,
		mode:        mode,
		props:       map[string]string{"auto.offset.reset": DefaultOffsetReset},
		interactive: cfg.Interactive,
		history:     cfg.HistoryFile,
	}
	s.comp = &completer{cat: &s.cat}
	if f, ok := out.(*os.File); ok && readline.IsTerminal(int(f.Fd())) {
		fd := int(f.Fd())
		s.termSize = func() (screenSize, bool) {
			cols, rows, err := readline.GetSize(fd)
			return screenSize{cols: cols, rows: rows}, err == nil && cols > 0 && rows > 0
		}
	}
	if cfg.Interactive {
		if s.history != "" {
			if err := os.MkdirAll(filepath.Dir(s.history), 0o700); err != nil {
				fmt.Fprintf(out, "History is not kept: %v\n", err)
				s.history = ""
			}
		}
		if s.lines, err = newReadlineReader(s.history, s.comp, out); err != nil {
			return nil, fmt.Errorf("opening the terminal: %w", err)
		}
	} else {
		in := cfg.In
		if in == nil {
			in = os.Stdin
		}
		s.lines = &plainReader{r: bufio.NewReader(in)}
	}
	return s, nil
}

// Close stops spooling and releases the terminal. Call it after Run.
func (s *Shell) Close() error {
	s.stopSpool()
	return s.lines.close()
}

// Interrupt stops what the shell is running (a push query, PRINT, a
// statement waiting for the server, a script), as Ctrl-C does. The shell
// itself goes on. Safe from any goroutine.
func (s *Shell) Interrupt() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mu.cancel != nil {
		s.mu.cancel(errInterrupted)
	}
}

// Quit interrupts what runs and ends Run: at once when Run waits for a line
// on the terminal, else when the line being read or run is done. Safe from
// any goroutine; call Close once Run has returned.
func (s *Shell) Quit() {
	s.mu.Lock()
	s.mu.quit = true
	if s.mu.cancel != nil {
		s.mu.cancel(errInterrupted)
	}
	s.mu.Unlock()
	s.lines.stop()
}

func (s *Shell) quitting() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mu.quit
}

// begin starts running one input: the returned context ends on Interrupt.
// Call the returned function when the input is done.
func (s *Shell) begin(ctx context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	s.mu.Lock()
	s.mu.cancel = cancel
	s.mu.Unlock()
	return ctx, func() {
		s.mu.Lock()
		s.mu.cancel = nil
		s.mu.Unlock()
		cancel(nil)
	}
}

// Run reads and runs input until EXIT, QUIT, the end of input (Ctrl-D), Quit
// or the end of ctx. Errors of statements are printed, not returned: Run
// returns an error only when the input cannot be read. Without a terminal,
// an unfinished statement at the end of input is an error.
func (s *Shell) Run(ctx context.Context) error {
	if s.interactive {
		s.banner(ctx)
		s.refreshCatalog(ctx)
	}
	var pending, typed string // the unfinished statement; the lines typed since the last complete input
	for {
		if ctx.Err() != nil || s.quitting() {
			return nil
		}
		if s.catStale && s.interactive {
			s.refreshCatalog(ctx)
		}
		prompt := "ksql> "
		if pending != "" {
			prompt = ">     "
		}
		s.comp.setPending(pending)
		line, err := s.lines.readLine(prompt)
		if s.quitting() { // readline may hand over the half-typed line: drop it
			return nil
		}
		switch {
		case errors.Is(err, errPromptInterrupt):
			pending, typed = "", ""
			continue
		case errors.Is(err, io.EOF):
			if pending != "" && !s.interactive {
				return fmt.Errorf("the input ends inside a statement (no ';'): %s", firstLine(pending))
			}
			if s.interactive {
				fmt.Fprintln(s.term, "Exiting the streamlite SQL shell.")
			}
			return nil
		case err != nil:
			return err
		}
		typed += line + "\n"
		items, rest := splitInput(pending+line+"\n", false)
		pending = rest
		if rest == "" {
			if h := historyLine(typed); h != "" && !isExitOnly(items) {
				s.lines.saveHistory(h)
			}
			typed = ""
		}
		if len(items) == 0 {
			continue
		}
		runCtx, done := s.begin(ctx)
		err = s.runItems(runCtx, items, "", "", 0)
		done()
		switch {
		case errors.Is(err, errExit):
			return nil
		case err != nil:
			s.printError(err)
		}
	}
}

// isExitOnly reports whether items is a lone EXIT or QUIT, which history
// skips: Up after a restart should give the last real statement.
func isExitOnly(items []inputItem) bool {
	if len(items) != 1 || items[0].kind != itemCommand {
		return false
	}
	w := firstWords(items[0].text, 1)
	return len(w) == 1 && (w[0] == "EXIT" || w[0] == "QUIT")
}

// printError prints the error an input ended with.
func (s *Shell) printError(err error) {
	if errors.Is(err, context.Canceled) || errors.Is(err, errInterrupted) {
		s.afterCtrlC()
		fmt.Fprintln(s.out, "Interrupted: the server may still have run the statement.")
		return
	}
	fmt.Fprintln(s.out, err.Error())
}

// afterCtrlC ends the line where the terminal echoed ^C.
func (s *Shell) afterCtrlC() {
	if s.interactive {
		fmt.Fprintln(s.term)
	}
}

// runItems runs items in order and stops at the first error, which it
// returns (errExit for EXIT). script names the file they came from ("" for
// typed input) and src is its text, for error positions; depth counts RUN
// SCRIPT nesting.
func (s *Shell) runItems(ctx context.Context, items []inputItem, script, src string, depth int) error {
	for _, it := range items {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		if s.spool != nil && depth == 0 {
			fmt.Fprintf(s.spool, "ksql> %s\n", it.text)
		}
		var err error
		if it.kind == itemCommand {
			err = s.runCommand(ctx, it.text, depth)
		} else {
			err = s.runStatement(ctx, it.text)
		}
		if err != nil {
			if script == "" || errors.Is(err, errExit) || ctx.Err() != nil {
				return err
			}
			line, col := positionAt(src, it.off)
			var se *ServerError
			if errors.As(err, &se) {
				line, col, msg := relocate(se.Message, ast.Pos{Line: line, Column: col})
				return fmt.Errorf("%s:%d:%d: %s", script, line, col, msg)
			}
			return fmt.Errorf("%s:%d:%d: %w", script, line, col, err)
		}
	}
	return nil
}

// runStatement runs one SQL statement.
func (s *Shell) runStatement(ctx context.Context, text string) error {
	w := firstWords(text, 2)
	first := ""
	if len(w) > 0 {
		first = w[0]
	}
	switch first {
	case "SET", "UNSET":
		return s.setProperty(text)
	case "SELECT":
		return s.runSelect(ctx, text)
	case "PRINT":
		return s.runPrint(ctx, text)
	}
	ents, err := s.client.KSQL(ctx, text, s.props)
	if err != nil {
		return err
	}
	for _, e := range ents {
		printShellEntity(s.out, e, s.mode)
	}
	switch first {
	case "CREATE", "DROP", "ALTER", "TERMINATE":
		s.catStale = true
	case "SHOW", "LIST":
		if len(w) > 1 && w[1] == "PROPERTIES" && s.mode != outputJSON {
			s.printSessionProperties()
		}
	}
	return nil
}

// setProperty runs SET or UNSET: the shell keeps session properties and
// sends them with every statement, as ksqlDB's CLI does.
func (s *Shell) setProperty(text string) error {
	st, err := parser.ParseStatement(text)
	if err != nil {
		return err
	}
	switch st := st.(type) {
	case *ast.SetProperty:
		s.props[st.Name] = st.Value
		fmt.Fprintf(s.out, "Successfully changed local property '%s' to '%s'. Use the UNSET command to revert your change.\n", st.Name, st.Value)
	case *ast.UnsetProperty:
		if _, ok := s.props[st.Name]; !ok {
			return fmt.Errorf("property '%s' is not set in this session", st.Name)
		}
		delete(s.props, st.Name)
		fmt.Fprintf(s.out, "Successfully unset local property '%s'.\n", st.Name)
	default:
		return fmt.Errorf("not a SET or UNSET statement: %s", firstLine(text))
	}
	return nil
}

// printSessionProperties lists the properties this session sends.
func (s *Shell) printSessionProperties() {
	if len(s.props) == 0 {
		return
	}
	list := make([]any, 0, len(s.props))
	for k, v := range s.props {
		list = append(list, map[string]any{"name": k, "value": v})
	}
	fmt.Fprintln(s.out, "\nSession properties (sent with every statement):")
	printEntity(s.out, map[string]any{"@type": "properties", "properties": list})
}

// runSelect runs a pull or push query and prints its rows as they arrive,
// a push query over a table on a terminal as a live table (live.go).
// Ctrl-C closes the stream and asks the server to close the query.
func (s *Shell) runSelect(ctx context.Context, text string) error {
	pull := !isPushQuery(text)
	q, err := s.client.QueryStream(ctx, text, s.props)
	if err != nil {
		if ctx.Err() != nil {
			s.afterCtrlC()
			fmt.Fprintln(s.out, "Query terminated before its first row")
			return nil
		}
		return err
	}
	defer q.Close()
	p := newResultPrinter(s.out, s.mode, pull)
	p.header(q.ID, q.Columns, q.Types, q.Key)
	// A push query over a table is a live table on a terminal; spooled
	// output is appended, so that the spool reads as the screen would.
	if !pull && s.mode == outputTable && s.spool == nil && s.termSize != nil {
		if size, ok := s.termSize(); ok {
			if key := resultKey(ctx, text, q.Columns, q.Key, s.describeSource); key != nil {
				p.goLive(key, size)
			}
		}
	}
	for {
		r, err := q.Next()
		if ctx.Err() != nil {
			err = context.Cause(ctx)
		}
		switch {
		case err == nil:
			p.row(r)
			continue
		case errors.Is(err, io.EOF):
			p.end(false)
			return nil
		case ctx.Err() != nil: // Ctrl-C
			s.afterCtrlC()
			p.end(true)
			q.Close()
			if !pull && q.ID != "" {
				// Closing the connection ends the query; /close-query says
				// so explicitly, for servers that keep it until told.
				cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
				_ = s.client.CloseQuery(cctx, q.ID)
				cancel()
			}
			return nil
		default:
			p.end(true)
			return err
		}
	}
}

// runPrint runs PRINT on the server's /query endpoint, copying the lines it
// sends until the server ends or Ctrl-C.
func (s *Shell) runPrint(ctx context.Context, text string) error {
	body, err := s.client.Print(ctx, text, s.props)
	if err != nil {
		if errors.Is(err, ErrPrintNotServed) {
			return fmt.Errorf("PRINT is not available: %w; SELECT * FROM a stream over the topic ... EMIT CHANGES shows its records", err)
		}
		return err
	}
	defer body.Close()
	r := bufio.NewReader(body)
	for {
		line, err := r.ReadString('\n')
		if t := strings.TrimRight(line, "\r\n"); strings.TrimSpace(t) != "" && ctx.Err() == nil {
			fmt.Fprintln(s.out, t)
		}
		switch {
		case err == nil:
			continue
		case errors.Is(err, io.EOF):
			return nil
		case ctx.Err() != nil: // Ctrl-C
			s.afterCtrlC()
			fmt.Fprintln(s.out, "Topic printing ceased")
			return nil
		default:
			return err
		}
	}
}

// refreshCatalog reloads the catalog for completion; Ctrl-C or a slow server
// only leaves it as it was.
func (s *Shell) refreshCatalog(ctx context.Context) {
	ctx, done := s.begin(ctx)
	defer done()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if s.cat.load(ctx, s.client) == nil {
		s.catStale = false
	}
}

// runShell is `streamlite sql` without -f.
func runShell(cmd *cobra.Command, server, output string) error {
	interactive := cmd.InOrStdin() == os.Stdin && readline.DefaultIsTerminal()
	cfg := ShellConfig{Server: server, Output: output, In: cmd.InOrStdin(), Out: cmd.OutOrStdout(), Interactive: interactive}
	if interactive {
		cfg.HistoryFile = historyPath()
	}
	sh, err := NewShell(cfg)
	if err != nil {
		return err
	}
	defer sh.Close()
	ctx := cmd.Context()
	if interactive {
		// Ctrl-C belongs to the shell: it stops a query, not the process.
		ctx = context.WithoutCancel(ctx)
		stop := sh.handleSignals()
		defer stop()
	}
	return sh.Run(ctx)
}
