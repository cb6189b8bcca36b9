// Package produce implements `streamlite produce TOPIC`: one record per line
// of standard input, with an optional key separator, headers, a fixed
// partition, acks and compression. It flushes before returning, prints a
// summary (records per partition) to standard error, and fails if any record
// failed. It is a plain Kafka producer (franz-go kgo) and works against any
// Kafka cluster.
package produce

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamlite/streamlite/cmd/streamlite/internal/clientflags"
)

// options are the command's flags.
type options struct {
	keySeparator    string
	headers         []string
	partition       int32
	acks            string
	compression     string
	deliveryTimeout time.Duration
}

// NewCommand returns the `produce` command.
func NewCommand() *cobra.Command {
	var o options
	cmd := &cobra.Command{
		Use:   "produce TOPIC",
		Short: "Produce one record per line of standard input",
		Long: `Produce one record per line of standard input. The trailing newline (and a
carriage return before it) is not part of the record. With --key-separator the
line is split at the first separator into key and value; a line without it
has a null key. A summary is printed to standard error; the command exits
non-zero if any record failed.`,
		Example: `  echo hello | streamlite produce greetings
  printf 'k1:v1\nk2:v2\n' | streamlite produce orders -k : -H source=cli --acks 1 -z zstd`,
		Args: cobra.ExactArgs(1),
	}
	cf := clientflags.Add(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		return run(cmd.Context(), cf, o, args[0], cmd.InOrStdin(), cmd.ErrOrStderr())
	}
	f := cmd.Flags()
	f.StringVarP(&o.keySeparator, "key-separator", "k", "", "split each line into key and value at the first SEP")
	f.StringArrayVarP(&o.headers, "header", "H", nil, "header key=value added to every record (repeatable)")
	f.Int32VarP(&o.partition, "partition", "p", -1, "produce every record to this partition (-1: the key's partition, Kafka's default partitioner)")
	f.StringVar(&o.acks, "acks", "all", "acks required: all, 1 or 0 (Kafka's acks)")
	f.StringVarP(&o.compression, "compression", "z", "none", "batch compression: none, gzip, snappy, lz4 or zstd (Kafka's compression.type)")
	f.DurationVar(&o.deliveryTimeout, "delivery-timeout", 30*time.Second, "give up on a record not acknowledged after this long (Kafka's delivery.timeout.ms; 0: never)")
	return cmd
}

// run produces every line of in to topic. Interrupting (ctx cancelled) stops
// reading, then flushes what was already handed to the client.
func run(ctx context.Context, cf *clientflags.Flags, o options, topic string, in io.Reader, errw io.Writer) error {
	var headers []kgo.RecordHeader
	for _, kv := range o.headers {
		k, v, err := clientflags.ParseKeyValue("header", kv)
		if err != nil {
			return err
		}
		headers = append(headers, kgo.RecordHeader{Key: k, Value: []byte(v)})
	}
	opts, err := clientflags.AcksOpts(o.acks)
	if err != nil {
		return err
	}
	codec, err := clientflags.CompressionCodec(o.compression)
	if err != nil {
		return err
	}
	opts = append(opts,
		kgo.DefaultProduceTopic(topic),
		kgo.ProducerBatchCompression(codec),
		// Like Kafka's producers: let the broker auto-create the topic if
		// it is configured to.
		kgo.AllowAutoTopicCreation(),
	)
	if o.deliveryTimeout > 0 {
		opts = append(opts, kgo.RecordDeliveryTimeout(o.deliveryTimeout))
	}
	if o.partition >= 0 {
		opts = append(opts, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	}
	cl, err := cf.NewClient(opts...)
	if err != nil {
		return err
	}
	defer cl.Close()

	var s summary
	// Records are produced with a context that outlives an interrupt, so
	// that what was read before it is still delivered by the flush below.
	pctx := context.WithoutCancel(ctx)
	lr := readLines(in)
	defer lr.stop()
	sep := []byte(o.keySeparator)
	interrupted := false
	for !interrupted {
		var line []byte
		var ok bool
		select {
		case <-ctx.Done():
			interrupted = true
			continue
		case line, ok = <-lr.lines:
		}
		if !ok {
			break
		}
		r := &kgo.Record{Value: line, Headers: headers}
		if len(sep) > 0 {
			if k, v, found := bytes.Cut(line, sep); found {
				r.Key, r.Value = k, v
			}
		}
		if o.partition >= 0 {
			r.Partition = o.partition
		}
		cl.Produce(pctx, r, s.promise)
	}
	if err := cl.Flush(pctx); err != nil {
		return fmt.Errorf("flushing: %w", err)
	}
	fmt.Fprintln(errw, s.String(topic))
	if s.failed > 0 {
		return fmt.Errorf("producing to %s: %d of %d records failed, first: %w",
			topic, s.failed, s.failed+s.ok, clientflags.BrokerError(s.firstErr, ""))
	}
	if !interrupted && lr.err != nil {
		return fmt.Errorf("reading standard input: %w", lr.err)
	}
	return nil
}

// summary counts acknowledged records per partition and failures. Its
// promise may be called from several client goroutines.
type summary struct {
	mu          sync.Mutex
	ok, failed  int
	byPartition map[int32]int
	firstErr    error
}

func (s *summary) promise(r *kgo.Record, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.failed++
		if s.firstErr == nil {
			s.firstErr = err
		}
		return
	}
	s.ok++
	if s.byPartition == nil {
		s.byPartition = make(map[int32]int)
	}
	s.byPartition[r.Partition]++
}

// String is the line printed at the end: "produced 10 records to t
// (partition 0: 4, partition 1: 6)".
func (s *summary) String(topic string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	parts := make([]int32, 0, len(s.byPartition))
	for p := range s.byPartition {
		parts = append(parts, p)
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i] < parts[j] })
	var b strings.Builder
	fmt.Fprintf(&b, "produced %d %s to %s", s.ok, plural(s.ok, "record"), topic)
	for i, p := range parts {
		if i == 0 {
			b.WriteString(" (")
		} else {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "partition %d: %d", p, s.byPartition[p])
	}
	if len(parts) > 0 {
		b.WriteString(")")
	}
	if s.failed > 0 {
		fmt.Fprintf(&b, "; %d failed", s.failed)
	}
	return b.String()
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// lineReader reads lines on its own goroutine, so that an interrupt is seen
// even while a read from a terminal blocks. lines is closed at end of input
// or on a read error, which err then holds.
type lineReader struct {
	lines chan []byte
	done  chan struct{}
	once  sync.Once
	err   error // written before lines is closed
}

func readLines(in io.Reader) *lineReader {
	lr := &lineReader{lines: make(chan []byte, 256), done: make(chan struct{})}
	go func() {
		defer close(lr.lines)
		br := bufio.NewReaderSize(in, 64<<10)
		for {
			line, err := br.ReadBytes('\n')
			if len(line) > 0 {
				line = bytes.TrimSuffix(line, []byte("\n"))
				line = bytes.TrimSuffix(line, []byte("\r"))
				select {
				case lr.lines <- line:
				case <-lr.done:
					return
				}
			}
			if err != nil {
				if !errors.Is(err, io.EOF) {
					lr.err = err
				}
				return
			}
		}
	}()
	return lr
}

// stop lets the reading goroutine exit at its next line; a read blocked in
// the operating system still finishes first.
func (lr *lineReader) stop() { lr.once.Do(func() { close(lr.done) }) }
