package schema_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/streamlite/streamlite/cmd/streamlite/internal/clitest"
	"github.com/streamlite/streamlite/cmd/streamlite/internal/schema"
	"github.com/streamlite/streamlite/engine/enginetest"
)

const (
	v1 = `{"type":"record","name":"Order","fields":[{"name":"id","type":"string"}]}`
	// v2 adds a field with a default: backward compatible.
	v2 = `{"type":"record","name":"Order","fields":[{"name":"id","type":"string"},{"name":"qty","type":"int","default":0}]}`
	// bad changes id's type: incompatible under BACKWARD.
	bad = `{"type":"record","name":"Order","fields":[{"name":"id","type":"int"}]}`
)

func run(t *testing.T, url, stdin string, args ...string) clitest.Result {
	t.Helper()
	return clitest.MustRun(t, schema.NewCommand(), stdin, append(args, "--registry", url)...)
}

func runErr(t *testing.T, url, stdin, want string, args ...string) clitest.Result {
	t.Helper()
	r := clitest.Run(t, schema.NewCommand(), stdin, append(args, "--registry", url)...)
	if r.Err == nil || !strings.Contains(r.Err.Error(), want) {
		t.Fatalf("%v: got error %v, want one containing %q\nstdout:\n%s", args, r.Err, want, r.Stdout)
	}
	return r
}

func collapse(out string) string {
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.Join(strings.Fields(l), " ")
	}
	return strings.Join(lines, "\n")
}

func TestSchemaLifecycle(t *testing.T) {
	b := enginetest.New(t)
	url := b.SchemaRegistryURL()
	dir := t.TempDir()
	file := filepath.Join(dir, "v2.avsc")
	if err := os.WriteFile(file, []byte(v2), 0o644); err != nil {
		t.Fatal(err)
	}

	// Register two versions: from stdin, then from a file.
	if got := run(t, url, v1, "register", "orders-value", "--file", "-").Stdout; got != "id 1 (version 1 of orders-value)\n" {
		t.Fatalf("register v1: %q", got)
	}
	if got := run(t, url, "", "register", "orders-value", "--file", file, "--type", "avro").Stdout; got != "id 2 (version 2 of orders-value)\n" {
		t.Fatalf("register v2: %q", got)
	}
	// Registering the same schema again returns it unchanged.
	if got := run(t, url, v1, "register", "orders-value", "-f", "-").Stdout; got != "id 1 (version 1 of orders-value)\n" {
		t.Fatalf("register v1 again: %q", got)
	}
	run(t, url, v1, "register", "payments-value", "-f", "-")

	// list
	if got := collapse(run(t, url, "", "list").Stdout); got != "SUBJECT\norders-value\npayments-value" {
		t.Fatalf("list:\n%s", got)
	}
	if got := collapse(run(t, url, "", "list", "--prefix", "pay").Stdout); got != "SUBJECT\npayments-value" {
		t.Fatalf("list --prefix:\n%s", got)
	}
	if got := collapse(run(t, url, "", "list", "orders-value").Stdout); got != "VERSION ID TYPE\n1 1 AVRO\n2 2 AVRO" {
		t.Fatalf("list orders-value:\n%s", got)
	}
	var subjects []string
	if err := json.Unmarshal([]byte(run(t, url, "", "list", "-o", "json").Stdout), &subjects); err != nil || len(subjects) != 2 {
		t.Fatalf("list -o json: %v %v", subjects, err)
	}

	// get
	out := run(t, url, "", "get", "orders-value").Stdout
	if !strings.HasPrefix(collapse(out), "SUBJECT: orders-value\nVERSION: 2\nID: 2\nTYPE: AVRO\n") || !strings.Contains(out, "\"qty\"") {
		t.Fatalf("get latest:\n%s", out)
	}
	if got := run(t, url, "", "get", "orders-value", "--version", "1", "-o", "raw").Stdout; strings.TrimSpace(got) != v1 {
		t.Fatalf("get --version 1 -o raw: %q", got)
	}
	out = run(t, url, "", "get", "--id", "1").Stdout
	if !strings.Contains(out, "orders-value version 1") || !strings.Contains(out, "payments-value version 1") {
		t.Fatalf("get --id 1:\n%s", out)
	}
	var js struct {
		Subject string `json:"subject"`
		Version int    `json:"version"`
		ID      int    `json:"id"`
	}
	if err := json.Unmarshal([]byte(run(t, url, "", "get", "orders-value", "-o", "json").Stdout), &js); err != nil || js.Subject != "orders-value" || js.Version != 2 || js.ID != 2 {
		t.Fatalf("get -o json: %+v %v", js, err)
	}
	r := runErr(t, url, "", "error_code 40401", "get", "nope-value")
	t.Logf("get unknown: %v", r.Err)
	if !strings.Contains(r.Err.Error(), "getting version latest of nope-value") {
		t.Fatalf("get unknown: %v", r.Err)
	}

	// check
	if got := run(t, url, v2, "check", "orders-value", "-f", "-").Stdout; got != "compatible\n" {
		t.Fatalf("check v2: %q", got)
	}
	r = clitest.Run(t, schema.NewCommand(), bad, "check", "orders-value", "-f", "-", "--registry", url)
	if !errors.Is(r.Err, schema.ErrIncompatible) || !strings.HasPrefix(r.Stdout, "incompatible:\n") || len(strings.Split(strings.TrimSpace(r.Stdout), "\n")) < 2 {
		t.Fatalf("check bad: err %v\nstdout:\n%s", r.Err, r.Stdout)
	}
	t.Logf("check bad: error %q, stdout:\n%s", r.Err, r.Stdout)

	// config: global, subject falling back to it, set.
	if got := collapse(run(t, url, "", "config").Stdout); got != "SUBJECT COMPATIBILITY\nglobal BACKWARD" {
		t.Fatalf("config:\n%s", got)
	}
	if got := run(t, url, "", "config", "orders-value", "--set", "none").Stdout; got != "compatibility of orders-value set to NONE\n" {
		t.Fatalf("config --set: %q", got)
	}
	if got := collapse(run(t, url, "", "config", "orders-value").Stdout); got != "SUBJECT COMPATIBILITY\norders-value NONE" {
		t.Fatalf("config orders-value:\n%s", got)
	}
	if got := run(t, url, bad, "check", "orders-value", "-f", "-").Stdout; got != "compatible\n" {
		t.Fatalf("check bad under NONE: %q", got)
	}
	runErr(t, url, "", "unknown compatibility level", "config", "--set", "sideways")

	// delete: a version, then the subject soft, then permanent.
	if got := run(t, url, "", "delete", "orders-value", "--version", "1").Stdout; got != "deleted version 1 of orders-value\n" {
		t.Fatalf("delete --version 1: %q", got)
	}
	if got := collapse(run(t, url, "", "list", "orders-value").Stdout); got != "VERSION ID TYPE\n2 2 AVRO" {
		t.Fatalf("list after version delete:\n%s", got)
	}
	if got := run(t, url, "", "delete", "orders-value").Stdout; got != "deleted orders-value (versions 2)\n" {
		t.Fatalf("delete soft: %q", got)
	}
	if got := collapse(run(t, url, "", "list").Stdout); got != "SUBJECT\npayments-value" {
		t.Fatalf("list after soft delete:\n%s", got)
	}
	if got := collapse(run(t, url, "", "list", "--deleted").Stdout); got != "SUBJECT\norders-value\npayments-value" {
		t.Fatalf("list --deleted:\n%s", got)
	}
	if got := run(t, url, "", "delete", "orders-value", "--permanent").Stdout; got != "permanently deleted orders-value (versions 1, 2)\n" {
		t.Fatalf("delete permanent: %q", got)
	}
	if got := collapse(run(t, url, "", "list", "--deleted").Stdout); got != "SUBJECT\npayments-value" {
		t.Fatalf("list --deleted after permanent delete:\n%s", got)
	}
}

func TestSchemaFlags(t *testing.T) {
	t.Setenv(schema.EnvRegistry, "http://127.0.0.1:1")
	r := clitest.Run(t, schema.NewCommand(), "", "list")
	if r.Err == nil || !strings.Contains(r.Err.Error(), "listing subjects") {
		t.Fatalf("list against a closed port: %v", r.Err)
	}
	for _, c := range []struct {
		want string
		args []string
	}{
		{"--file is required", []string{"register", "s"}},
		{"unknown schema type", []string{"register", "s", "-f", "-", "--type", "xml"}},
		{"invalid --ref", []string{"register", "s", "-f", "-", "--ref", "a=b"}},
		{"give SUBJECT or --id", []string{"get"}},
		{"invalid --version", []string{"get", "s", "--version", "zero"}},
		{"invalid --output", []string{"list", "-o", "yaml"}},
	} {
		r := clitest.Run(t, schema.NewCommand(), "x", c.args...)
		if r.Err == nil || !strings.Contains(r.Err.Error(), c.want) {
			t.Errorf("%v: got %v, want %q", c.args, r.Err, c.want)
		}
	}
}
