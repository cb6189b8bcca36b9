package txn

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/streamlite/streamlite/cmd/streamlite/internal/clientflags"
)

func newProducersCommand(cf *clientflags.Flags) *cobra.Command {
	var partitions []int32
	var output string
	cmd := &cobra.Command{
		Use:   "producers TOPIC",
		Short: "Show the producers each partition of a topic tracks, and their open transactions",
		Long: `Show, per partition of TOPIC (all, or those given with --partition), every
producer the partition's leader tracks (DescribeProducers), as
kafka-transactions.sh describe-producers shows it:

  PARTITION  PRODUCER-ID  EPOCH  LAST-SEQUENCE  LAST-TIMESTAMP  COORDINATOR-EPOCH  TXN-START-OFFSET

LAST-SEQUENCE is the sequence number of the producer's last batch ("-" if
it wrote none with a sequence); LAST-TIMESTAMP when it last wrote there;
COORDINATOR-EPOCH the epoch of the coordinator that wrote its last marker;
TXN-START-OFFSET the first offset of its transaction still open in the
partition ("-" if none). An open transaction holds read_committed consumers
back at its start offset: one whose last write is older than the
transaction timeout is hanging. Partitions with no producer have no rows.
-o json prints every partition, with its producers, as one JSON array.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if output != "table" && output != "json" {
				return fmt.Errorf("invalid --output %q: want table or json", output)
			}
			topic := args[0]
			ctx := cmd.Context()
			c, err := newClient(cf)
			if err != nil {
				return err
			}
			defer c.close()

			ps, err := c.topicPartitions(ctx, topic, partitions)
			if err != nil {
				return err
			}
			described, err := c.describeProducers(ctx, kadm.TopicsSet{topic: toSet(ps)})
			if err != nil {
				return err
			}
			var errs []error
			views := make([]partitionView, 0, len(ps))
			for _, p := range ps {
				v := partitionView{topic: topic, partition: p}
				dp, ok := described[topic].Partitions[p]
				switch {
				case !ok:
					v.err = fmt.Errorf("describing producers of %s/%d: not in the describe response", topic, p)
				case dp.Err != nil:
					v.err = fmt.Errorf("describing producers of %s/%d: %w", topic, p, clientflags.BrokerError(dp.Err, dp.ErrMessage))
				default:
					v.producers = dp.ActiveProducers.Sorted()
				}
				if v.err != nil {
					errs = append(errs, v.err)
				}
				views = append(views, v)
			}

			out := cmd.OutOrStdout()
			if output == "json" {
				err = writeProducersJSON(out, views)
			} else {
				err = writeProducers(out, views, time.Now())
			}
			if err != nil {
				return err
			}
			return errors.Join(errs...)
		},
	}
	cmd.Flags().Int32SliceVarP(&partitions, "partition", "p", nil, "describe only these partitions (comma-separated; default all)")
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table or json")
	return cmd
}

func toSet(ps []int32) map[int32]struct{} {
	out := make(map[int32]struct{}, len(ps))
	for _, p := range ps {
		out[p] = struct{}{}
	}
	return out
}

// partitionView is one partition's producers, sorted by producer ID, or the
// error that kept them from being described.
type partitionView struct {
	topic     string
	partition int32
	producers []kadm.DescribedProducer
	err       error
}

func writeProducers(w io.Writer, views []partitionView, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PARTITION\tPRODUCER-ID\tEPOCH\tLAST-SEQUENCE\tLAST-TIMESTAMP\tCOORDINATOR-EPOCH\tTXN-START-OFFSET")
	for _, v := range views {
		for _, p := range v.producers {
			fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%s\t%s\t%s\n", v.partition, p.ProducerID, optInt(p.ProducerEpoch),
				optInt(p.LastSequence), agoString(millisTime(p.LastTimestamp), now), optInt(p.CoordinatorEpoch),
				optInt(p.CurrentTxnStartOffset))
		}
	}
	return tw.Flush()
}

// The JSON form of `txn producers -o json`: an array with one object per
// partition, in partition order. Kafka's "none" values (-1) are null.
type (
	partitionJSON struct {
		Topic     string         `json:"topic"`
		Partition int32          `json:"partition"`
		Producers []producerJSON `json:"producers"`
		Error     string         `json:"error,omitempty"`
	}
	producerJSON struct {
		ProducerID       int64      `json:"producer_id"`
		ProducerEpoch    int16      `json:"producer_epoch"`
		LastSequence     *int32     `json:"last_sequence"`
		LastTimestamp    *time.Time `json:"last_timestamp"`
		CoordinatorEpoch *int32     `json:"coordinator_epoch"`
		TxnStartOffset   *int64     `json:"txn_start_offset"`
	}
)

func writeProducersJSON(w io.Writer, views []partitionView) error {
	out := make([]partitionJSON, 0, len(views))
	for _, v := range views {
		j := partitionJSON{Topic: v.topic, Partition: v.partition, Producers: []producerJSON{}}
		if v.err != nil {
			j.Error = v.err.Error()
		}
		for _, p := range v.producers {
			j.Producers = append(j.Producers, producerJSON{
				ProducerID:       p.ProducerID,
				ProducerEpoch:    p.ProducerEpoch,
				LastSequence:     nonNegative(p.LastSequence),
				LastTimestamp:    millisTime(p.LastTimestamp),
				CoordinatorEpoch: nonNegative(p.CoordinatorEpoch),
				TxnStartOffset:   nonNegative(p.CurrentTxnStartOffset),
			})
		}
		out = append(out, j)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// nonNegative returns a pointer to v, or nil when v is negative (Kafka's
// "none").
func nonNegative[T int32 | int64](v T) *T {
	if v < 0 {
		return nil
	}
	return &v
}
