// Package restore is `streamlite restore`: rebuild topics, with their
// configs and data, from tiered storage's object store alone into an empty
// data directory (engine.Restore), then tell how to start a broker on it.
package restore

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/streamlite/streamlite/cmd/streamlite/internal/clientflags"
	"github.com/streamlite/streamlite/cmd/streamlite/internal/up"
	"github.com/streamlite/streamlite/engine"
	"github.com/streamlite/streamlite/tiered/objstore"
)

type flags struct {
	from       string
	topics     []string
	dataDir    string
	s3Endpoint string
	s3Region   string
}

// NewCommand returns the `restore` command.
func NewCommand() *cobra.Command {
	var f flags
	cmd := &cobra.Command{
		Use:   "restore --from URL [--topic T]... [--data-dir DIR]",
		Short: "Rebuild topics (configs and data) from tiered storage's bucket into an empty data dir",
		Long: `Rebuild topics from the object store of tiered storage alone: each topic comes back with
its topic id, partitions and configs, and every offset the store holds stays readable, with
new records continuing after them. Records that were only on the old broker's disk (not yet
uploaded) are not in the store and do not come back.

The data directory ($STREAMLITE_DATA or ./.streamlite unless --data-dir) must be empty or
not exist: existing data is never touched. The store is only read. Stop the broker that
wrote the store before starting one on the restored directory: two brokers must never use
one store at once. Credentials come from the AWS environment (AWS_ACCESS_KEY_ID, ...,
shared config). Every flag but --topic also reads STREAMLITE_<FLAG> from the environment.

OFFSETS shows START-END per partition: the remote tier's first offset and the offset after
its last record, where the restored log continues ("none" for an empty tier).`,
		Example: `  streamlite restore --from s3://my-bucket/streamlite
  streamlite restore --from s3://bucket/prefix --topic orders --s3-endpoint http://127.0.0.1:7070 --data-dir ./restored`,
		Args: cobra.NoArgs,
		PreRunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("data-dir") {
				if v := os.Getenv("STREAMLITE_DATA"); v != "" {
					f.dataDir = v
				}
			}
			if err := clientflags.ApplyEnv(cmd); err != nil {
				return err
			}
			// STREAMLITE_TOPIC is produce's and consume's default topic: an
			// environment set up for those must not narrow a restore.
			if !cmd.Flags().Changed("topic") {
				f.topics = nil
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error { return run(cmd, f) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.from, "from", "", "object store to restore from: s3://bucket/prefix or file://DIR (what up --remote-storage was given)")
	fl.StringArrayVarP(&f.topics, "topic", "t", nil, "topic to restore (repeatable; default: every topic in the store)")
	fl.StringVar(&f.dataDir, "data-dir", up.DefaultDataDir, "data directory to restore into, empty or new (env STREAMLITE_DATA)")
	fl.StringVar(&f.s3Endpoint, "s3-endpoint", "", "S3 endpoint URL for an S3-compatible server (MinIO, versitygw, ...)")
	fl.StringVar(&f.s3Region, "s3-region", "", "S3 region (default: the AWS environment's, else us-east-1)")
	return cmd
}

func run(cmd *cobra.Command, f flags) error {
	if f.from == "" {
		return errors.New("no store to restore from: give --from s3://bucket/prefix or --from file://DIR")
	}
	dir, err := filepath.Abs(f.dataDir)
	if err != nil {
		return fmt.Errorf("data dir %q: %w", f.dataDir, err)
	}
	res, err := engine.Restore(cmd.Context(), engine.RestoreConfig{
		DataDir:              dir,
		RemoteStorage:        f.from,
		RemoteStorageOptions: objstore.OpenOptions{Endpoint: f.s3Endpoint, Region: f.s3Region},
		Topics:               f.topics,
	})
	if errors.Is(err, engine.ErrDataDirNotEmpty) {
		return fmt.Errorf("%w: choose another --data-dir", err)
	}
	if err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	if err := printTopics(w, res); err != nil {
		return err
	}
	fmt.Fprintf(w, "restored %d %s into %s; start a broker on it with:\n", len(res.Topics), plural(len(res.Topics), "topic"), dir)
	fmt.Fprintf(w, "  %s\n", upCommand(dir, f))
	return nil
}

// printTopics writes the restored topics as a table.
func printTopics(w io.Writer, res engine.RestoreResult) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TOPIC\tPARTITIONS\tOFFSETS\tCONFIGS")
	for _, t := range res.Topics {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\n", t.Name, t.Partitions, offsetsSummary(t.Offsets), len(t.Configs))
	}
	return tw.Flush()
}

// listedPartitions is how many partitions offsetsSummary lists one by
// one; above it, it summarizes.
const listedPartitions = 4

// offsetsSummary shows a topic's partition offsets: START-END alone for
// one partition, P:START-END each for a few, and for more the range they
// span with the count of empty ones.
func offsetsSummary(ps []engine.RestoredPartition) string {
	switch {
	case len(ps) == 0:
		return "-"
	case len(ps) == 1:
		return offsetRange(ps[0])
	case len(ps) <= listedPartitions:
		parts := make([]string, len(ps))
		for i, p := range ps {
			parts[i] = strconv.Itoa(int(p.Partition)) + ":" + offsetRange(p)
		}
		return strings.Join(parts, " ")
	}
	same := true
	for _, p := range ps[1:] {
		same = same && offsetRange(p) == offsetRange(ps[0])
	}
	if same {
		return offsetRange(ps[0]) + " in each of " + strconv.Itoa(len(ps))
	}
	lo, hi, empty := int64(-1), int64(0), 0
	for _, p := range ps {
		if p.StartOffset < 0 {
			empty++
			continue
		}
		if lo < 0 || p.StartOffset < lo {
			lo = p.StartOffset
		}
		hi = max(hi, p.EndOffset)
	}
	if empty == len(ps) {
		return "none in " + strconv.Itoa(len(ps))
	}
	s := fmt.Sprintf("%d-%d across %d", lo, hi, len(ps))
	if empty > 0 {
		s += fmt.Sprintf(" (%d empty)", empty)
	}
	return s
}

// offsetRange is START-END of a partition's remote tier, "none" for an
// empty one (with where the log continues, when not at 0).
func offsetRange(p engine.RestoredPartition) string {
	switch {
	case p.StartOffset >= 0:
		return fmt.Sprintf("%d-%d", p.StartOffset, p.EndOffset)
	case p.EndOffset > 0:
		return fmt.Sprintf("none@%d", p.EndOffset)
	}
	return "none"
}

// upCommand is the `streamlite up` command line that serves the restored
// directory from the same store.
func upCommand(dir string, f flags) string {
	args := []string{"streamlite", "up", "--data-dir", shellQuote(dir), "--remote-storage", shellQuote(f.from)}
	if f.s3Endpoint != "" {
		args = append(args, "--s3-endpoint", shellQuote(f.s3Endpoint))
	}
	if f.s3Region != "" {
		args = append(args, "--s3-region", shellQuote(f.s3Region))
	}
	return strings.Join(args, " ")
}

// shellQuote quotes s for a POSIX shell unless it needs none.
func shellQuote(s string) string {
	safe := s != ""
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("@%+=:,./_-", c)) {
			safe = false
			break
		}
	}
	if safe {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
