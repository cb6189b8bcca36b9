// Package clitest runs CLI commands end to end in tests: it starts a
// franz-go kfake cluster, executes a cobra command with arguments and
// captured standard streams, and returns what it printed.
package clitest

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kfake"
)

// Cluster starts a one-broker kfake cluster that creates unknown topics on
// produce (with one partition), adds opts, and closes with the test. It
// returns the cluster and its address as a --brokers value.
func Cluster(t testing.TB, opts ...kfake.Opt) (*kfake.Cluster, string) {
	t.Helper()
	all := append([]kfake.Opt{kfake.NumBrokers(1), kfake.AllowAutoTopicCreation(), kfake.DefaultNumPartitions(1)}, opts...)
	c, err := kfake.NewCluster(all...)
	if err != nil {
		t.Fatalf("starting kfake: %v", err)
	}
	t.Cleanup(c.Close)
	return c, strings.Join(c.ListenAddrs(), ",")
}

// Result is what a command printed and returned.
type Result struct {
	Stdout, Stderr string
	Err            error
}

// Run executes cmd with args and stdin, under a context that ends with the
// test or after a minute, and returns what it printed and returned. cmd
// should be fresh from its constructor: cobra commands keep flag values.
func Run(t testing.TB, cmd *cobra.Command, stdin string, args ...string) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd.SetIn(strings.NewReader(stdin))
	cmd.SetOut(&stdout)
	cmd.SetErr(&stderr)
	cmd.SetArgs(args)
	cmd.SilenceUsage = true
	cmd.SilenceErrors = true
	err := cmd.ExecuteContext(ctx)
	return Result{Stdout: stdout.String(), Stderr: stderr.String(), Err: err}
}

// MustRun is Run that fails the test if the command returned an error.
func MustRun(t testing.TB, cmd *cobra.Command, stdin string, args ...string) Result {
	t.Helper()
	r := Run(t, cmd, stdin, args...)
	if r.Err != nil {
		t.Fatalf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", cmd.Name(), strings.Join(args, " "), r.Err, r.Stdout, r.Stderr)
	}
	return r
}
