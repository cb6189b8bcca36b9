package rest

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/streamlite/streamlite/engine/enginetest"
	"github.com/streamlite/streamlite/sql/runtime"
)

// TestKsqldbClient runs the ksqldb-client npm package (a ksqlDB client
// written by others; it speaks HTTP/2 to /ksql, /query-stream and
// /inserts-stream) against the SQL server: DDL, inserts, a push query and
// a pull query (testdata/ksqldb-client/client.js). It needs node and npm
// (and npm's registry, once); without them it is skipped, except under
// CI, where it fails.
func TestKsqldbClient(t *testing.T) {
	if testing.Short() {
		t.Skip("needs node and npm")
	}
	node, nerr := exec.LookPath("node")
	npm, perr := exec.LookPath("npm")
	if nerr != nil || perr != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("node and npm are required under CI (.ci/run installs them)")
		}
		t.Skip("node or npm not on PATH")
	}
	dir := t.TempDir()
	for _, f := range []string{"package.json", "client.js"} {
		b, err := os.ReadFile(filepath.Join("testdata", "ksqldb-client", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	install := exec.CommandContext(ctx, npm, "install", "--no-audit", "--no-fund", "--loglevel=error")
	install.Dir = dir
	if out, err := install.CombinedOutput(); err != nil {
		t.Fatalf("npm install: %v\n%s", err, out)
	}

	b := enginetest.New(t)
	log := slog.New(slog.DiscardHandler)
	srv, err := runtime.Start(ctx, runtime.Config{Brokers: []string{b.Addr()}, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	h := NewHandler("default", log)
	h.SetServer(srv)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	hs := &http.Server{Handler: h, Protocols: &protocols}
	go hs.Serve(ln)
	defer hs.Close()

	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	run := exec.CommandContext(ctx, node, "client.js", "http://127.0.0.1", port)
	run.Dir = dir
	out, err := run.CombinedOutput()
	t.Logf("client.js:\n%s", out)
	if err != nil {
		t.Fatalf("ksqldb-client: %v", err)
	}
}
