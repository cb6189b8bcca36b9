package kafka_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/streamlite/streamlite/engine/enginetest"
	"github.com/twmb/franz-go/pkg/kgo"
)

// kcatPath returns kcat's path; .ci/run installs it, so only a bare developer machine skips.
func kcatPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("kcat")
	if err != nil {
		t.Skip("kcat is not installed (.ci/run installs it: apt-get install kcat)")
	}
	return p
}

func runKcat(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(kcatPath(t), args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("kcat %v: %v\n%s", args, err, errb.String())
	}
	return out.String()
}

// TestKcatReadCommittedSkipsAborted: librdkafka, reading read_committed, sees every committed
// transactional record and none of the aborted ones, interleaved in one partition with
// non-transactional records; read_uncommitted sees them all.
func TestKcatReadCommittedSkipsAborted(t *testing.T) {
	kcatPath(t)
	const topic = "kcat-txn"
	b := enginetest.New(t, enginetest.Topics(1, topic))
	ctx := context.Background()
	tx := b.Client(kgo.TransactionalID("kcat-txn-producer"), kgo.DefaultProduceTopic(topic))
	plain := b.Client(kgo.DefaultProduceTopic(topic))
	var want []string
	all := 0
	for round := range 6 {
		if err := tx.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		commit := round%2 == 0
		for i := range 50 {
			v := fmt.Sprintf("r%d-%d-%t", round, i, commit)
			if err := tx.ProduceSync(ctx, kgo.StringRecord(v)).FirstErr(); err != nil {
				t.Fatal(err)
			}
			all++
			if commit {
				want = append(want, v)
			}
			if i%10 == 0 { // non-transactional records between the transactional ones
				pv := fmt.Sprintf("plain-%d-%d", round, i)
				if err := plain.ProduceSync(ctx, kgo.StringRecord(pv)).FirstErr(); err != nil {
					t.Fatal(err)
				}
				want = append(want, pv)
				all++
			}
		}
		if err := tx.EndTransaction(ctx, kgo.TransactionEndTry(commit)); err != nil {
			t.Fatal(err)
		}
	}
	read := func(iso string) []string {
		out := runKcat(t, "", "-b", b.Addr(), "-C", "-t", topic, "-o", "beginning", "-e", "-q",
			"-X", "isolation.level="+iso, "-f", "%s\n")
		var vs []string
		sc := bufio.NewScanner(strings.NewReader(out))
		for sc.Scan() {
			vs = append(vs, sc.Text())
		}
		return vs
	}
	got := read("read_committed")
	if len(got) != len(want) {
		t.Fatalf("read_committed: %d records, want %d", len(got), len(want))
	}
	// Order within the partition: committed records and plain ones interleave as written.
	wantSet := make(map[string]bool, len(want))
	for _, v := range want {
		wantSet[v] = true
	}
	for _, v := range got {
		if !wantSet[v] {
			t.Fatalf("read_committed returned %q, which is aborted or unknown", v)
		}
		delete(wantSet, v)
	}
	if n := len(read("read_uncommitted")); n != all {
		t.Fatalf("read_uncommitted: %d records, want %d (aborted ones included)", n, all)
	}
}

// TestKcatIdempotentProduce: librdkafka's idempotent producer (enable.idempotence, which needs
// InitProducerId and sequence checks) writes every record once.
func TestKcatIdempotentProduce(t *testing.T) {
	kcatPath(t)
	const topic = "kcat-idem"
	b := enginetest.New(t, enginetest.Topics(3, topic))
	var in strings.Builder
	for i := range 3000 {
		fmt.Fprintf(&in, "k%d\tv%d\n", i, i)
	}
	runKcat(t, in.String(), "-b", b.Addr(), "-P", "-t", topic, "-K", "\t", "-X", "enable.idempotence=true")
	out := runKcat(t, "", "-b", b.Addr(), "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%k\n")
	seen := map[string]int{}
	for _, k := range strings.Fields(out) {
		seen[k]++
	}
	if len(seen) != 3000 {
		t.Fatalf("read back %d distinct keys, want 3000", len(seen))
	}
	for k, n := range seen {
		if n != 1 {
			t.Fatalf("key %s read %d times", k, n)
		}
	}
}

// TestKcatTransactionalProduce: kcat's own transactional mode (transactional.id set: it begins
// a transaction, produces and commits) lands every record for a read_committed reader.
func TestKcatTransactionalProduce(t *testing.T) {
	kcatPath(t)
	const topic = "kcat-tx-produce"
	b := enginetest.New(t, enginetest.Topics(2, topic))
	var in strings.Builder
	for i := range 500 {
		fmt.Fprintf(&in, "k%d\tv%d\n", i, i)
	}
	runKcat(t, in.String(), "-b", b.Addr(), "-P", "-t", topic, "-K", "\t", "-X", "transactional.id=kcat-tx")
	out := runKcat(t, "", "-b", b.Addr(), "-C", "-t", topic, "-o", "beginning", "-e", "-q",
		"-X", "isolation.level=read_committed", "-f", "%k\n")
	if n := len(strings.Fields(out)); n != 500 {
		t.Fatalf("read_committed read %d records, want 500", n)
	}
}
