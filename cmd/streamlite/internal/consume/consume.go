// Package consume implements `streamlite consume TOPIC`: it reads partitions
// directly (no consumer group, nothing committed) from a chosen offset and
// prints each record as indented JSON or in a kcat-style --format. With -e
// it stops when every partition reached the high watermark seen at start.
// It is a plain Kafka consumer (franz-go kgo) and works against any Kafka
// cluster.
package consume

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamlite/streamlite/cmd/streamlite/internal/clientflags"
)

// options are the command's flags.
type options struct {
	offset     string
	partitions []int32
	exitAtEnd  bool
	count      int
	format     string
}

// NewCommand returns the `consume` command.
func NewCommand() *cobra.Command {
	var o options
	cmd := &cobra.Command{
		Use:   "consume TOPIC",
		Short: "Print a topic's records, without a consumer group",
		Long: `Print a topic's records. Partitions are read directly: no consumer group
is joined and no offset is committed.

-o picks where each partition starts:
  beginning      the log start (default)
  end            only records produced from now on
  OFFSET         this offset (clamped to the partition's range)
  -N             the last N records of each partition
  @TIMESTAMP_MS  the first record at or after this Unix millisecond

The default output is one indented JSON object per record, with the value
embedded as JSON when it is valid JSON. --format takes kcat-style tokens:
  %t topic  %k key  %v value  %h headers (k=v,k=v)  %p partition  %o offset
  %T timestamp (ms)  %K key length  %S value length  %% a percent sign
and the escapes \n \t \r \\. Nothing is added after the format: end it in \n.`,
		Example: `  streamlite consume orders -o beginning -e
  streamlite consume orders -o -5 -f '%p:%o %k=%v\n'
  streamlite consume orders -o @1700000000000 -c 10`,
		Args: cobra.ExactArgs(1),
	}
	cf := clientflags.Add(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		return run(cmd.Context(), cf, o, args[0], cmd.OutOrStdout())
	}
	f := cmd.Flags()
	f.StringVarP(&o.offset, "offset", "o", "beginning", "where to start: beginning, end, OFFSET, -N or @TIMESTAMP_MS")
	f.Int32SliceVarP(&o.partitions, "partition", "p", nil, "partitions to read (repeatable or comma-separated; default all)")
	f.BoolVarP(&o.exitAtEnd, "exit", "e", false, "exit when every partition reached the high watermark seen at start")
	f.IntVarP(&o.count, "count", "c", 0, "exit after this many records (0: no limit)")
	f.StringVarP(&o.format, "format", "f", "", "kcat-style output format, e.g. '%k\\t%v\\n' (default: indented JSON)")
	return cmd
}

// partState is one partition being read.
type partState struct {
	next int64 // the first offset to read
	end  int64 // the high watermark seen at start
}

// run consumes topic into out until the end (-e), the count (-c) or an
// interrupt (ctx cancelled, not an error).
func run(ctx context.Context, cf *clientflags.Flags, o options, topic string, out io.Writer) error {
	spec, err := parseStart(o.offset)
	if err != nil {
		return err
	}
	if o.count < 0 {
		return fmt.Errorf("invalid count %d", o.count)
	}
	var fmtr formatter = newJSONFormat()
	if o.format != "" {
		if fmtr, err = parseFormat(o.format); err != nil {
			return err
		}
	}

	parts, err := plan(ctx, cf, spec, topic, o.partitions)
	if err != nil {
		return err
	}
	offsets := make(map[int32]kgo.Offset, len(parts))
	for p, st := range parts {
		if o.exitAtEnd && st.next >= st.end {
			continue // nothing to read before the end
		}
		offsets[p] = kgo.NewOffset().At(st.next)
	}
	if len(offsets) == 0 {
		return nil
	}

	cl, err := cf.NewClient(kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: offsets}))
	if err != nil {
		return err
	}
	defer cl.Close()

	w := bufio.NewWriterSize(out, 64<<10)
	defer w.Flush()
	var (
		buf     []byte
		printed int
		pending = len(offsets) // partitions not at their end, for -e
	)
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
			return fmt.Errorf("consuming %s partition %d: %w", fe.Topic, fe.Partition, clientflags.BrokerError(fe.Err, ""))
		}
		var stop bool
		fetches.EachPartition(func(fp kgo.FetchTopicPartition) {
			st := parts[fp.Partition]
			for _, r := range fp.Records {
				if stop {
					return
				}
				if o.exitAtEnd && r.Offset >= st.end {
					break // past the end seen at start
				}
				if buf, err = fmtr.appendRecord(buf[:0], r); err != nil {
					stop = true
					return
				}
				if _, err = w.Write(buf); err != nil {
					stop = true
					return
				}
				printed++
				if o.count > 0 && printed >= o.count {
					stop = true
					return
				}
			}
			if o.exitAtEnd && len(fp.Records) > 0 && st.next < st.end && fp.Records[len(fp.Records)-1].Offset >= st.end-1 {
				st.next = st.end
				pending--
				cl.PauseFetchPartitions(map[string][]int32{topic: {fp.Partition}})
			}
		})
		if err != nil {
			return fmt.Errorf("writing record: %w", err)
		}
		if err := w.Flush(); err != nil {
			return fmt.Errorf("writing records: %w", err)
		}
		if stop || (o.exitAtEnd && pending == 0) {
			return nil
		}
	}
}

// plan looks up the topic's partitions and their offsets, and resolves where
// each selected partition starts.
func plan(ctx context.Context, cf *clientflags.Flags, spec startSpec, topic string, selected []int32) (map[int32]*partState, error) {
	adm, err := cf.NewAdmin()
	if err != nil {
		return nil, err
	}
	defer adm.Close()

	details, err := adm.ListTopics(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("looking up topic %s: %w", topic, err)
	}
	d, ok := details[topic]
	if !ok {
		return nil, fmt.Errorf("looking up topic %s: not in the metadata response", topic)
	}
	if d.Err != nil {
		return nil, fmt.Errorf("looking up topic %s: %w", topic, clientflags.BrokerError(d.Err, ""))
	}
	if len(selected) == 0 {
		for p := range d.Partitions {
			selected = append(selected, p)
		}
	}
	slices.Sort(selected)
	selected = slices.Compact(selected)
	for _, p := range selected {
		if _, ok := d.Partitions[p]; !ok {
			return nil, fmt.Errorf("topic %s has no partition %d (it has %d)", topic, p, len(d.Partitions))
		}
	}

	starts, err := adm.ListStartOffsets(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("listing start offsets of %s: %w", topic, err)
	}
	ends, err := adm.ListEndOffsets(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("listing end offsets of %s: %w", topic, err)
	}
	var ats kadm.ListedOffsets
	if spec.kind == startTime {
		if ats, err = adm.ListOffsetsAfterMilli(ctx, spec.n, topic); err != nil {
			return nil, fmt.Errorf("listing offsets of %s after %d: %w", topic, spec.n, err)
		}
	}
	parts := make(map[int32]*partState, len(selected))
	for _, p := range selected {
		start, err := lookup(starts, topic, p)
		if err != nil {
			return nil, fmt.Errorf("start offset of %s partition %d: %w", topic, p, err)
		}
		end, err := lookup(ends, topic, p)
		if err != nil {
			return nil, fmt.Errorf("end offset of %s partition %d: %w", topic, p, err)
		}
		at := int64(-1)
		if ats != nil {
			if at, err = lookup(ats, topic, p); err != nil {
				return nil, fmt.Errorf("offset of %s partition %d at %d: %w", topic, p, spec.n, err)
			}
		}
		parts[p] = &partState{next: spec.resolve(start, end, at), end: end}
	}
	return parts, nil
}

func lookup(l kadm.ListedOffsets, topic string, p int32) (int64, error) {
	o, ok := l.Lookup(topic, p)
	if !ok {
		return 0, errors.New("missing from the ListOffsets response")
	}
	if o.Err != nil {
		return 0, clientflags.BrokerError(o.Err, "")
	}
	return o.Offset, nil
}
