package meta

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamlite/streamlite/cmd/streamlite/internal/clientflags"
)

// metadataTopic is the topic `meta log` reads; a variable so that tests
// can point it at a topic they fill themselves.
var metadataTopic = "__cluster_metadata"

func newLogCommand(cf *clientflags.Flags) *cobra.Command {
	var follow bool
	var output string
	cmd := &cobra.Command{
		Use:   "log",
		Short: "Print every change of cluster state, from the metadata log",
		Long: `Print the metadata log from its beginning, one change per line, as
INDEX, TYPE and SUMMARY:

  1        TopicCreated     topic orders created (3 partitions, retention.ms=1000)
  2        PartitionsAdded  topic orders grown to 6 partitions
  3        ConfigChanged    topic orders config set retention.ms=5 deleted cleanup.policy
  4        ProducerIDBlock  producer ids below 2000 allocated
  5        TopicDeleted     topic orders deleted

Record types it does not know show their JSON.
-o json prints each record's value as the broker wrote it, one per line.
It reads the internal topic __cluster_metadata through the Kafka protocol,
as any client can (streamlite consume __cluster_metadata shows the same),
and stops at the end it saw when it started; --follow keeps printing new
changes until interrupted. Changes compacted into a snapshot before they
reached the topic are not there.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output, "text", "json"); err != nil {
				return err
			}
			return runLog(cmd.Context(), cf, follow, output == "json", cmd.OutOrStdout())
		},
	}
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing new changes until interrupted")
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text or json")
	return cmd
}

// runLog prints metadataTopic's partition 0 from its start to the end
// offset listed at the start, or, with follow, until ctx ends (an
// interrupt, not an error).
func runLog(ctx context.Context, cf *clientflags.Flags, follow, asJSON bool, out io.Writer) error {
	start, end, err := bounds(ctx, cf)
	if err != nil {
		return err
	}
	if !follow && start >= end {
		return nil // nothing written yet, or nothing kept
	}
	cl, err := cf.NewClient(kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{
		metadataTopic: {0: kgo.NewOffset().AtStart()},
	}))
	if err != nil {
		return err
	}
	defer cl.Close()

	w := bufio.NewWriterSize(out, 64<<10)
	defer w.Flush()
	var line []byte
	for {
		fetches := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			return w.Flush()
		}
		for _, fe := range fetches.Errors() {
			if errors.Is(fe.Err, context.Canceled) {
				continue
			}
			w.Flush()
			return fmt.Errorf("reading %s: %w", metadataTopic, clientflags.BrokerError(fe.Err, ""))
		}
		done := false
		fetches.EachRecord(func(r *kgo.Record) {
			if done || !follow && r.Offset >= end {
				done = true
				return
			}
			if asJSON {
				line = append(append(line[:0], compact(r.Value)...), '\n')
			} else {
				line = appendText(line[:0], r)
			}
			if _, err = w.Write(line); err != nil {
				done = true
				return
			}
			done = !follow && r.Offset >= end-1
		})
		if err != nil {
			return fmt.Errorf("writing output: %w", err)
		}
		if err := w.Flush(); err != nil {
			return fmt.Errorf("writing output: %w", err)
		}
		if done {
			return nil
		}
	}
}

// bounds lists the start and end offsets of metadataTopic's partition 0.
func bounds(ctx context.Context, cf *clientflags.Flags) (start, end int64, err error) {
	adm, err := cf.NewAdmin()
	if err != nil {
		return 0, 0, err
	}
	defer adm.Close()
	starts, err := adm.ListStartOffsets(ctx, metadataTopic)
	if err != nil {
		return 0, 0, fmt.Errorf("listing start offsets of %s: %w", metadataTopic, clientflags.BrokerError(err, ""))
	}
	if start, err = lookup(starts); err != nil {
		return 0, 0, fmt.Errorf("start offset of %s: %w", metadataTopic, err)
	}
	ends, err := adm.ListEndOffsets(ctx, metadataTopic)
	if err != nil {
		return 0, 0, fmt.Errorf("listing end offsets of %s: %w", metadataTopic, clientflags.BrokerError(err, ""))
	}
	if end, err = lookup(ends); err != nil {
		return 0, 0, fmt.Errorf("end offset of %s: %w", metadataTopic, err)
	}
	return start, end, nil
}

func lookup(l kadm.ListedOffsets) (int64, error) {
	o, ok := l.Lookup(metadataTopic, 0)
	if !ok {
		// kadm answers a topic the metadata does not list as partition -1.
		o, ok = l.Lookup(metadataTopic, -1)
	}
	if !ok || errors.Is(o.Err, kerr.UnknownTopicOrPartition) {
		return 0, fmt.Errorf("the broker has no topic %s (only streamlite brokers keep one): %w",
			metadataTopic, clientflags.BrokerError(kerr.UnknownTopicOrPartition, ""))
	}
	if o.Err != nil {
		return 0, clientflags.BrokerError(o.Err, "")
	}
	return o.Offset, nil
}

// appendText appends r's text line, "INDEX  TYPE  SUMMARY\n", to b. The
// index comes from the value; a value that is not a metadata record shows
// "-" and the value itself.
func appendText(b []byte, r *kgo.Record) []byte {
	env, ok := parseEnvelope(r.Key, r.Value)
	index := "-"
	if env.Index != nil {
		index = strconv.FormatUint(*env.Index, 10)
	}
	typ := env.Type
	if typ == "" {
		typ = "-"
	}
	var sum string
	switch {
	case !ok:
		sum = compact(r.Value)
	case env.Record == nil:
		sum = compact(r.Value) // no record: show what there is
	default:
		sum = summary(env.Type, env.Record)
	}
	return fmt.Appendf(b, "%-7s  %-15s  %s\n", index, typ, sum)
}
