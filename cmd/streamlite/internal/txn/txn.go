// Package txn implements `streamlite txn`: list, describe and producers,
// the tooling view of Kafka transactions, through the Kafka admin APIs
// (kadm and raw kmsg requests), so every verb works against any Kafka
// cluster (3.0 or later), not only streamlite.
//
// list and describe ask the transaction coordinators (ListTransactions and
// DescribeTransactions, KIP-664): which transactional IDs exist, in which
// state (Kafka's names: Empty, Ongoing, PrepareCommit, PrepareAbort,
// CompleteCommit, CompleteAbort, Dead, PrepareEpochFence), with which
// producer ID and epoch, since when and over which partitions. producers
// asks the partition leaders (DescribeProducers): every producer a
// partition tracks, its last sequence and write time, and the first offset
// of its open transaction there. An open transaction's start offset holds
// back the partition's last stable offset, so read_committed consumers stop
// at it: an old one is a hanging transaction, as kafka-transactions.sh
// find-hanging reports. Errors answered by the broker are shown as Kafka's
// error name and message ("TRANSACTIONAL_ID_NOT_FOUND: ...").
package txn

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/streamlite/streamlite/cmd/streamlite/internal/clientflags"
)

// NewCommand returns the `txn` command with its verbs.
func NewCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "txn",
		Aliases: []string{"transactions", "transaction"},
		Short:   "List and describe transactions and the producers writing to partitions",
		Args:    cobra.NoArgs,
	}
	cf := clientflags.Add(cmd)
	cmd.AddCommand(
		newListCommand(cf),
		newDescribeCommand(cf),
		newProducersCommand(cf),
	)
	return cmd
}

// canonicalState returns Kafka's spelling of a transaction state, matched
// without regard to case, dashes or underscores ("complete-commit" is
// CompleteCommit), or an error naming the states Kafka knows.
func canonicalState(state string) (string, error) {
	s, err := kmsg.ParseTransactionState(state)
	if err != nil {
		return "", fmt.Errorf("unknown transaction state %q: want one of %s", state, strings.Join(kmsg.TransactionStateStrings(), ", "))
	}
	return s.String(), nil
}

// client is the pair of clients every verb uses: the kgo client for raw
// requests and the admin client over it.
type client struct {
	cl  *kgo.Client
	adm *kadm.Client
}

func newClient(cf *clientflags.Flags) (*client, error) {
	cl, err := cf.NewClient()
	if err != nil {
		return nil, err
	}
	return &client{cl: cl, adm: kadm.NewClient(cl)}, nil
}

func (c *client) close() { c.adm.Close() }

// listFilter is what `txn list` keeps; the zero value keeps everything.
type listFilter struct {
	States      []string // Kafka's spelling; any of them
	ProducerIDs []int64  // any of them
	// Running keeps transactions running longer than this (KIP-994,
	// ListTransactions v1); 0 keeps all.
	Running time.Duration
}

// listTransactions lists the transactions of every coordinator that filter
// keeps, sorted by transactional ID. It sends ListTransactions itself rather
// than through kadm, which cannot send the duration filter. States and
// producer IDs go to the broker and are applied again here, for brokers too
// old to filter by state; a duration filter that the broker cannot apply
// (ListTransactions v0) is an error rather than a silently unfiltered list.
func (c *client) listTransactions(ctx context.Context, f listFilter) ([]kadm.ListedTransaction, error) {
	req := kmsg.NewPtrListTransactionsRequest()
	req.StateFilters = f.States
	req.ProducerIDFilters = f.ProducerIDs
	if f.Running > 0 {
		req.DurationFilterMillis = f.Running.Milliseconds()
	}
	var out []kadm.ListedTransaction
	for _, shard := range c.cl.RequestSharded(ctx, req) {
		if shard.Err != nil {
			return nil, fmt.Errorf("listing transactions on broker %d: %w", shard.Meta.NodeID, shard.Err)
		}
		resp := shard.Resp.(*kmsg.ListTransactionsResponse)
		if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
			return nil, fmt.Errorf("listing transactions on broker %d: %w", shard.Meta.NodeID, clientflags.BrokerError(err, ""))
		}
		if f.Running > 0 && resp.Version < 1 {
			return nil, fmt.Errorf("listing transactions on broker %d: it cannot filter by duration (needs ListTransactions v1, Kafka 3.8 or later)", shard.Meta.NodeID)
		}
		for _, t := range resp.TransactionStates {
			lt := kadm.ListedTransaction{Coordinator: shard.Meta.NodeID, TxnID: t.TransactionalID, ProducerID: t.ProducerID, State: t.TransactionState}
			if len(f.States) > 0 && !contains(f.States, lt.State) || len(f.ProducerIDs) > 0 && !contains(f.ProducerIDs, lt.ProducerID) {
				continue
			}
			out = append(out, lt)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].TxnID < out[j].TxnID })
	return out, nil
}

func contains[T comparable](list []T, v T) bool {
	for _, l := range list {
		if l == v {
			return true
		}
	}
	return false
}

// brokers maps the cluster's broker IDs to their details, for naming
// coordinators and leaders; it is empty if metadata cannot be loaded, and
// the IDs are then shown alone.
func (c *client) brokers(ctx context.Context) map[int32]kadm.BrokerDetail {
	out := make(map[int32]kadm.BrokerDetail)
	bs, err := c.adm.ListBrokers(ctx)
	if err != nil {
		return out
	}
	for _, b := range bs {
		out[b.NodeID] = b
	}
	return out
}

// brokerString renders broker id as "0 (host:port)", or "0" when its
// address is unknown.
func brokerString(id int32, brokers map[int32]kadm.BrokerDetail) string {
	if b, ok := brokers[id]; ok && b.Host != "" {
		return fmt.Sprintf("%d (%s:%d)", id, b.Host, b.Port)
	}
	return fmt.Sprint(id)
}

// topicPartitions returns the partitions of topic to describe: those given,
// each checked to exist, or all of the topic's when none are given. It
// fails on a topic the broker does not know.
func (c *client) topicPartitions(ctx context.Context, topic string, partitions []int32) ([]int32, error) {
	details, err := c.adm.ListTopicsWithInternal(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("describing topic %s: %w", topic, err)
	}
	d, ok := details[topic]
	if !ok {
		return nil, fmt.Errorf("describing topic %s: not in the metadata response", topic)
	}
	if d.Err != nil {
		return nil, fmt.Errorf("describing topic %s: %w", topic, clientflags.BrokerError(d.Err, ""))
	}
	if len(partitions) == 0 {
		for p := range d.Partitions {
			partitions = append(partitions, p)
		}
	}
	out := make([]int32, 0, len(partitions))
	for _, p := range partitions {
		if _, ok := d.Partitions[p]; !ok {
			return nil, fmt.Errorf("topic %s has no partition %d (it has %d)", topic, p, len(d.Partitions))
		}
		if !contains(out, p) {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}

// describeProducers describes the producers of set's partitions; each
// partition's answer (or error) is in the result.
func (c *client) describeProducers(ctx context.Context, set kadm.TopicsSet) (kadm.DescribedProducersTopics, error) {
	described, err := c.adm.DescribeProducers(ctx, set)
	if err != nil {
		return nil, fmt.Errorf("describing producers: %w", clientflags.BrokerError(err, ""))
	}
	return described, nil
}

// millisTime returns the time of a Kafka millisecond timestamp, or nil for
// a negative one (Kafka's "none").
func millisTime(ms int64) *time.Time {
	if ms < 0 {
		return nil
	}
	t := time.UnixMilli(ms)
	return &t
}

// timeLayout renders times in the tables: local time to the millisecond.
const timeLayout = "2006-01-02T15:04:05.000Z07:00"

// agoString renders t and how long before now it is: "2026-11-22T10:00:00.000Z
// (1m12s ago)"; durations under a second are shown to the millisecond, others
// to the second. It is "-" when t is nil.
func agoString(t *time.Time, now time.Time) string {
	if t == nil {
		return "-"
	}
	d := now.Sub(*t)
	if d < time.Second && d > -time.Second {
		d = d.Round(time.Millisecond)
	} else {
		d = d.Round(time.Second)
	}
	if d < 0 {
		return fmt.Sprintf("%s (in %s)", t.Format(timeLayout), -d)
	}
	return fmt.Sprintf("%s (%s ago)", t.Format(timeLayout), d)
}

// optInt renders v, or "-" when negative (Kafka's "none" for sequences,
// epochs and offsets).
func optInt[T int16 | int32 | int64](v T) string {
	if v < 0 {
		return "-"
	}
	return fmt.Sprint(v)
}

// dash returns s, or "-" when s is empty.
func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
