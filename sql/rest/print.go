package rest

import (
	"errors"
	"io"
	"net/http"

	"github.com/streamlite/streamlite/sql/ast"
	"github.com/streamlite/streamlite/sql/engine"
	"github.com/streamlite/streamlite/sql/parser"
	"github.com/streamlite/streamlite/sql/runtime"
)

// printStatement returns text's statement when it is one PRINT, else nil:
// the caller then runs it as a SELECT, which reports any syntax error.
func printStatement(text string) *ast.Print {
	st, err := parser.ParseStatement(text)
	if err != nil {
		return nil
	}
	pr, _ := st.(*ast.Print)
	return pr
}

// servePrint serves PRINT on POST /query as ksqlDB does: lines of text,
// flushed as the records arrive (the "Key format: ..." and "Value format:
// ..." lines, then one "rowtime: ..., key: ..., value: ..., partition: n"
// line per record, and an empty line after each idle second) until the
// LIMIT is reached or the client leaves. A missing topic is a 400 with
// ksqlDB's message; an error while printing ends the answer with its
// message as the last line, as ksqlDB's does.
func (h *Handler) servePrint(w http.ResponseWriter, r *http.Request, st *ast.Print, text string, props map[string]string) {
	srv, err := h.server(r.Context())
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, codeUnavailable, "generic_error", err.Error(), "")
		return
	}
	p, err := srv.PreparePrint(r.Context(), st, props)
	if err != nil {
		var nf *runtime.TopicNotFoundError
		var ee *engine.Error
		switch {
		case errors.As(err, &nf):
			writeError(w, http.StatusBadRequest, codeBadRequest, "generic_error", nf.Error(), "")
		case errors.As(err, &ee):
			statementError(w, err, text)
		default:
			h.log.Error("sql: PRINT not started", "topic", st.Topic, "err", err)
			writeError(w, http.StatusInternalServerError, codeServer, "generic_error", err.Error(), "")
		}
		return
	}
	// ksqlDB's old API answers streams with this type, whatever they hold.
	w.Header().Set("Content-Type", jsonType)
	w.WriteHeader(http.StatusOK)
	fl, _ := w.(http.Flusher)
	if fl != nil {
		fl.Flush()
	}
	err = p.Run(r.Context(), func(line string) error {
		if _, err := io.WriteString(w, line+"\n"); err != nil {
			return err
		}
		if fl != nil {
			fl.Flush()
		}
		return nil
	})
	if err != nil && r.Context().Err() == nil {
		h.log.Warn("sql: PRINT failed", "topic", p.Topic, "err", err)
		_, _ = io.WriteString(w, err.Error()+"\n")
	}
}
