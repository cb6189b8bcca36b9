package txn

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/streamlite/streamlite/cmd/streamlite/internal/clientflags"
)

func newDescribeCommand(cf *clientflags.Flags) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "describe TRANSACTIONAL-ID...",
		Short: "Show transactions' state, producer, timeout, start time and partitions",
		Long: `Show each transactional ID: a header (coordinator, state, producer ID
and epoch, transaction timeout, when the current transaction started and how
long ago, partition count), then one row per partition in the transaction:

  TOPIC  PARTITION  TXN-START-OFFSET

TXN-START-OFFSET is the first offset the transaction wrote in the partition,
as the partition's leader reports it (DescribeProducers); "-" before the
transaction's first write there or once the partition's marker is written.
Read_committed consumers cannot read past it until the transaction ends.
Partitions are listed while the transaction is Ongoing, and while Prepare*
for those still waiting for their marker; START-TIME is "-" when no
transaction has started. A transactional ID the coordinator does not know
is reported as TRANSACTIONAL_ID_NOT_FOUND and the command fails. -o json
prints every ID as one JSON array.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if output != "table" && output != "json" {
				return fmt.Errorf("invalid --output %q: want table or json", output)
			}
			ctx := cmd.Context()
			c, err := newClient(cf)
			if err != nil {
				return err
			}
			defer c.close()

			described, err := c.adm.DescribeTransactions(ctx, args...)
			if err != nil {
				return fmt.Errorf("describing transactions: %w", clientflags.BrokerError(err, ""))
			}
			var errs []error
			views := make([]txnView, 0, len(args))
			parts := make(kadm.TopicsSet)
			seen := make(map[string]bool, len(args))
			for _, id := range args {
				if seen[id] {
					continue
				}
				seen[id] = true
				d, ok := described[id]
				v := txnView{txn: d}
				switch {
				case !ok:
					v.txn.TxnID = id
					v.err = fmt.Errorf("describing transaction %s: not in the describe response", id)
				case d.Err != nil:
					v.err = fmt.Errorf("describing transaction %s: %w", id, clientflags.BrokerError(d.Err, ""))
				default:
					parts.Merge(d.Topics)
				}
				if v.err != nil {
					errs = append(errs, v.err)
				}
				views = append(views, v)
			}

			// The start offsets come from the partitions' leaders; they
			// are shown as unknown if the leaders cannot say.
			var producers kadm.DescribedProducersTopics
			if len(parts) > 0 {
				producers, _ = c.adm.DescribeProducers(ctx, parts)
			}
			for i := range views {
				views[i].rows = partitionRows(views[i].txn, producers)
			}

			out := cmd.OutOrStdout()
			now := time.Now()
			if output == "json" {
				err = writeDescribeJSON(out, views)
			} else {
				err = writeDescribe(out, views, c.brokers(ctx), now)
			}
			if err != nil {
				return err
			}
			return errors.Join(errs...)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table or json")
	return cmd
}

// txnView is a described transaction with its partition rows, or the error
// that kept it from being described.
type txnView struct {
	txn  kadm.DescribedTransaction
	rows []txnPartition
	err  error
}

// txnPartition is one row of `txn describe`: a partition in the
// transaction.
type txnPartition struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	// TxnStartOffset is the first offset the transaction wrote in the
	// partition, from the leader's DescribeProducers; nil if it wrote
	// nothing there yet or the leader could not say.
	TxnStartOffset *int64 `json:"txn_start_offset"`
}

// partitionRows returns the partitions of d, sorted by topic and partition,
// with the start offset of d's producer in each from producers.
func partitionRows(d kadm.DescribedTransaction, producers kadm.DescribedProducersTopics) []txnPartition {
	var rows []txnPartition
	d.Topics.Each(func(t string, p int32) {
		r := txnPartition{Topic: t, Partition: p}
		if dp, ok := producers[t].Partitions[p]; ok && dp.Err == nil {
			if ap, ok := dp.ActiveProducers[d.ProducerID]; ok && ap.CurrentTxnStartOffset >= 0 {
				o := ap.CurrentTxnStartOffset
				r.TxnStartOffset = &o
			}
		}
		rows = append(rows, r)
	})
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Topic != rows[j].Topic {
			return rows[i].Topic < rows[j].Topic
		}
		return rows[i].Partition < rows[j].Partition
	})
	return rows
}

func writeDescribe(w io.Writer, views []txnView, brokers map[int32]kadm.BrokerDetail, now time.Time) error {
	first := true
	for _, v := range views {
		if v.err != nil {
			continue
		}
		if !first {
			fmt.Fprintln(w)
		}
		first = false
		d := v.txn
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "TRANSACTIONAL-ID\t%s\n", d.TxnID)
		fmt.Fprintf(tw, "COORDINATOR\t%s\n", brokerString(d.Coordinator, brokers))
		fmt.Fprintf(tw, "STATE\t%s\n", dash(d.State))
		fmt.Fprintf(tw, "PRODUCER-ID\t%s\n", optInt(d.ProducerID))
		fmt.Fprintf(tw, "PRODUCER-EPOCH\t%s\n", optInt(d.ProducerEpoch))
		fmt.Fprintf(tw, "TIMEOUT\t%s\n", time.Duration(d.TimeoutMillis)*time.Millisecond)
		fmt.Fprintf(tw, "START-TIME\t%s\n", agoString(millisTime(d.StartTimestamp), now))
		fmt.Fprintf(tw, "PARTITIONS\t%d\n", len(v.rows))
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintln(w)
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "TOPIC\tPARTITION\tTXN-START-OFFSET")
		for _, r := range v.rows {
			start := "-"
			if r.TxnStartOffset != nil {
				start = fmt.Sprint(*r.TxnStartOffset)
			}
			fmt.Fprintf(tw, "%s\t%d\t%s\n", r.Topic, r.Partition, start)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

// txnJSON is the JSON form of one transactional ID in `txn describe -o
// json`: an array with one object per ID named, in the order named.
type txnJSON struct {
	TransactionalID string         `json:"transactional_id"`
	Coordinator     *int32         `json:"coordinator,omitempty"`
	State           string         `json:"state,omitempty"`
	ProducerID      int64          `json:"producer_id"`
	ProducerEpoch   int16          `json:"producer_epoch"`
	TimeoutMillis   int32          `json:"timeout_ms"`
	StartTime       *time.Time     `json:"start_time"` // null when no transaction started
	Partitions      []txnPartition `json:"partitions"`
	Error           string         `json:"error,omitempty"`
}

func writeDescribeJSON(w io.Writer, views []txnView) error {
	out := make([]txnJSON, 0, len(views))
	for _, v := range views {
		d := v.txn
		j := txnJSON{TransactionalID: d.TxnID, ProducerID: -1, ProducerEpoch: -1, Partitions: []txnPartition{}}
		if v.err != nil {
			j.Error = v.err.Error()
			out = append(out, j)
			continue
		}
		coord := d.Coordinator
		j.Coordinator = &coord
		j.State, j.ProducerID, j.ProducerEpoch, j.TimeoutMillis = d.State, d.ProducerID, d.ProducerEpoch, d.TimeoutMillis
		j.StartTime = millisTime(d.StartTimestamp)
		if v.rows != nil {
			j.Partitions = v.rows
		}
		out = append(out, j)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
