package tui

import (
	"context"
	"flag"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/streamlite/streamlite/sql/rest"
	"github.com/streamlite/streamlite/sql/runtime"
)

var update = flag.Bool("update", false, "rewrite the golden screens in testdata/golden")

// portRE matches loopback addresses, whose ports change from run to run.
var portRE = regexp.MustCompile(`127\.0\.0\.1:\d+`)

// checkGolden compares the screen with testdata/golden/<name>.golden (rewritten with
// -update). Loopback ports are replaced by PORT first.
func checkGolden(t *testing.T, h *harness, name string) {
	t.Helper()
	got := portRE.ReplaceAllString(h.view(), "127.0.0.1:PORT") + "\n"
	path := filepath.Join("testdata", "golden", name+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("screen %s differs from %s (run with -update to accept it)\n--- got:\n%s--- want:\n%s", name, path, got, want)
	}
}

// command types a `:` command and presses enter.
func (h *harness) command(line string) {
	h.t.Helper()
	h.keys(":")
	h.typeText(line)
	h.keys("enter")
}

// TestGoldenScreens draws every screen at 80x24 with the Ascii profile against an
// enginetest broker seeded by seedBroker, through the real tui/cluster client.
func TestGoldenScreens(t *testing.T) {
	b := seedBroker(t)
	src := clusterSource(t, b, "")
	open := func(t *testing.T) *harness {
		h := newHarness(t, src, Options{})
		h.untilShows("payments")
		return h
	}

	t.Run("topics", func(t *testing.T) {
		h := open(t)
		checkGolden(t, h, "topics")
		h.keys("i")
		h.untilShows("__consumer_offsets")
		h.keys("s", "s") // by size
		checkGolden(t, h, "topics-internal-by-size")
	})
	t.Run("topics-filtered", func(t *testing.T) {
		h := open(t)
		h.keys("/")
		h.typeText("ck")
		checkGolden(t, h, "topics-filtered")
	})
	t.Run("topics-120x40", func(t *testing.T) {
		h := open(t)
		h.send(tea.WindowSizeMsg{Width: 120, Height: 40})
		checkGolden(t, h, "topics-120x40")
		h.send(tea.WindowSizeMsg{Width: 40, Height: 10})
		h.view() // checks nothing spills past 40x10
	})
	t.Run("topic-detail", func(t *testing.T) {
		h := open(t)
		h.command("topic orders")
		h.untilShows("LOCAL START")
		checkGolden(t, h, "topic-detail")
		h.command("topic payments")
		h.untilShows("LOCAL START")
		checkGolden(t, h, "topic-detail-configs")
	})
	t.Run("records", func(t *testing.T) {
		h := open(t)
		h.command("records payments")
		h.untilShows("5 kept")
		checkGolden(t, h, "records")
		h.keys("g", "enter")
		checkGolden(t, h, "record-json")
	})
	t.Run("record-avro", func(t *testing.T) {
		h := open(t)
		h.command("topic clicks")
		h.untilShows("LOCAL START")
		h.keys("b")
		h.untilShows("4 kept")
		h.keys("enter")
		checkGolden(t, h, "record-avro")
	})
	t.Run("records-filter", func(t *testing.T) {
		// Partition 1 only: records of one partition arrive in offset order, so the
		// screen is the same on every run.
		h := open(t)
		h.command("records orders")
		h.untilShows("30 kept")
		h.keys("/")
		h.typeText("partition:1 value.status=paid")
		h.keys("enter")
		checkGolden(t, h, "records-filtered")
		h.keys("/", "ctrl+u")
		h.typeText("partition:x")
		h.keys("enter")
		checkGolden(t, h, "records-filter-error")
	})
	t.Run("groups", func(t *testing.T) {
		h := open(t)
		h.command("groups")
		h.untilShows("billing")
		checkGolden(t, h, "groups")
		h.keys("enter")
		h.untilShows("COMMITTED")
		checkGolden(t, h, "group-detail")
		h.keys("R")
		checkGolden(t, h, "reset-pick")
		h.keys("e")
		h.untilShows("dry run")
		checkGolden(t, h, "reset-dry-run")
	})
	t.Run("schemas", func(t *testing.T) {
		h := open(t)
		h.command("schemas")
		h.untilShows("clicks-value")
		checkGolden(t, h, "schemas")
		h.keys("enter")
		h.untilShows("VERSION")
		h.keys("enter")
		checkGolden(t, h, "schema-text")
	})
	t.Run("help", func(t *testing.T) {
		h := open(t)
		h.keys("?")
		checkGolden(t, h, "help")
	})
	t.Run("produce-form", func(t *testing.T) {
		h := open(t)
		h.command("topic orders")
		h.keys("p")
		h.typeText("1")
		h.keys("tab")
		h.typeText("user-9")
		h.keys("tab")
		h.typeText("source=tui,trace=abc")
		h.keys("tab")
		h.typeText(`{"order": 99,`)
		h.keys("enter")
		h.typeText(` "status": "new"}`)
		checkGolden(t, h, "produce-form")
		h.keys("ctrl+s")
		checkGolden(t, h, "produce-sent")
	})
	t.Run("create-topic-form", func(t *testing.T) {
		h := open(t)
		h.keys("n")
		h.typeText("audit-log")
		h.keys("tab", "ctrl+w")
		h.typeText("6")
		h.keys("tab", "tab")
		h.typeText("cleanup.policy=compact")
		checkGolden(t, h, "create-topic-form")
	})
}

// TestGoldenErrorLine stops the broker under the topics screen: the error line says what
// failed and when it is retried.
func TestGoldenErrorLine(t *testing.T) {
	b := seedBroker(t)
	h := newHarness(t, clusterSource(t, b, ""), Options{Timeout: 2 * time.Second})
	h.untilShows("payments")
	if err := b.Engine().Close(); err != nil {
		t.Fatal(err)
	}
	h.untilShows("connection refused")
	checkGolden(t, h, "error-line")
}

// TestGoldenQueries runs a SQL server (sql/runtime behind sql/rest's handler) on a seeded
// broker with one persistent query, and draws the queries screen once the query has
// processed the five payments.
func TestGoldenQueries(t *testing.T) {
	b := seedBroker(t)
	hnd := rest.NewHandler("default", slog.New(slog.DiscardHandler))
	hs := httptest.NewServer(hnd)
	t.Cleanup(hs.Close)
	srv, err := runtime.Start(context.Background(), runtime.Config{Brokers: []string{b.Addr()}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	hnd.SetServer(srv)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := srv.Execute(ctx, `CREATE STREAM payments (id INT, amount DOUBLE, currency STRING) WITH (kafka_topic='payments', value_format='JSON');
CREATE STREAM big_payments AS SELECT id, amount FROM payments WHERE amount > 250 EMIT CHANGES;`, map[string]string{"auto.offset.reset": "earliest"}); err != nil {
		t.Fatal(err)
	}

	h := newHarness(t, clusterSource(t, b, hs.URL), Options{})
	h.command("queries")
	h.untilShows("CSAS_BIG_PAYMENTS")
	h.until("the query to process the five payments", func() bool {
		return strings.Contains(h.m.View(), "RUNNING") && strings.Contains(h.m.View(), "         5")
	})
	checkGolden(t, h, "queries")
	h.keys("enter")
	checkGolden(t, h, "query-sql")
}
