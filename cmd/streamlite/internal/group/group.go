// Package group implements `streamlite group`: list, describe, delete and
// reset-offsets, through the Kafka admin APIs (kadm and raw kmsg requests),
// so every verb works against any Kafka cluster, not only streamlite.
//
// Both kinds of consumer group are handled: classic groups (JoinGroup and
// SyncGroup, client-side assignors) are described with DescribeGroups, and
// KIP-848 groups (type "consumer", server-side assignors) with
// ConsumerGroupDescribe; ListGroups v5 tells which is which. Lag follows
// kafka-consumer-groups.sh: per partition, the log end offset (the high
// watermark) minus the committed offset, shown as "-" when the group has
// committed nothing there. Errors answered by the broker are shown as
// Kafka's error name and message ("NON_EMPTY_GROUP: ...").
package group

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/streamlite/streamlite/cmd/streamlite/internal/clientflags"
)

// NewCommand returns the `group` command with its verbs.
func NewCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "group",
		Aliases: []string{"groups"},
		Short:   "List, describe, delete consumer groups and reset their offsets",
		Args:    cobra.NoArgs,
	}
	cf := clientflags.Add(cmd)
	cmd.AddCommand(
		newListCommand(cf),
		newDescribeCommand(cf),
		newDeleteCommand(cf),
		newResetOffsetsCommand(cf),
	)
	return cmd
}

// Group types as ListGroups v5 names them (KIP-848).
const (
	typeClassic  = "classic"
	typeConsumer = "consumer"
)

// States Kafka reports for groups, in its spelling: the classic protocol's
// and KIP-848's (Assigning, Reconciling, NotReady).
var knownStates = []string{
	"Empty", "PreparingRebalance", "CompletingRebalance", "Stable", "Dead",
	"Assigning", "Reconciling", "NotReady",
}

// canonicalState returns Kafka's spelling of state, matched without regard to
// case, or an error naming the states Kafka knows.
func canonicalState(state string) (string, error) {
	for _, s := range knownStates {
		if strings.EqualFold(s, strings.TrimSpace(state)) {
			return s, nil
		}
	}
	return "", fmt.Errorf("unknown group state %q: want one of %s", state, strings.Join(knownStates, ", "))
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

// listedGroup is one group of a ListGroups answer.
type listedGroup struct {
	Name         string
	Type         string // classic or consumer; classic when the broker predates ListGroups v5
	State        string
	ProtocolType string
}

// listGroups lists the groups of every broker, keeping those in one of
// states and of one of types (all when empty). Filters go to the broker and
// are applied again here, for brokers too old to filter.
func (c *client) listGroups(ctx context.Context, states, types []string) ([]listedGroup, error) {
	req := kmsg.NewPtrListGroupsRequest()
	req.StatesFilter = states
	req.TypesFilter = types
	var out []listedGroup
	for _, shard := range c.cl.RequestSharded(ctx, req) {
		if shard.Err != nil {
			return nil, fmt.Errorf("listing groups on broker %d: %w", shard.Meta.NodeID, shard.Err)
		}
		resp := shard.Resp.(*kmsg.ListGroupsResponse)
		if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
			return nil, fmt.Errorf("listing groups on broker %d: %w", shard.Meta.NodeID, clientflags.BrokerError(err, ""))
		}
		for _, g := range resp.Groups {
			lg := listedGroup{Name: g.Group, Type: g.GroupType, State: g.GroupState, ProtocolType: g.ProtocolType}
			if lg.Type == "" {
				lg.Type = typeClassic
			}
			if len(states) > 0 && !containsFold(states, lg.State) || len(types) > 0 && !containsFold(types, lg.Type) {
				continue
			}
			out = append(out, lg)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func containsFold(list []string, s string) bool {
	for _, l := range list {
		if strings.EqualFold(l, s) {
			return true
		}
	}
	return false
}

// groupInfo is what the verbs need of a described group, whichever protocol
// it uses.
type groupInfo struct {
	Name         string
	Type         string // classic or consumer
	State        string
	ProtocolType string // classic groups: "consumer", "connect", ...; KIP-848 groups: "consumer"
	Protocol     string // classic: the assignor the members agreed on; KIP-848: the server-side assignor
	Coordinator  kadm.BrokerDetail
	Members      []memberInfo

	// Err is the broker's answer for this group when it could not be
	// described (GROUP_ID_NOT_FOUND, ...), already rendered by BrokerError.
	Err error
}

// memberInfo is one member of a group and what it is assigned.
type memberInfo struct {
	ID         string
	InstanceID string // group.instance.id, "" if not static
	ClientID   string
	Host       string
	Assigned   kadm.TopicsSet
}

// protocolString is the header's PROTOCOL value: "consumer/range", or "-".
func (g *groupInfo) protocolString() string {
	var parts []string
	for _, p := range []string{g.ProtocolType, g.Protocol} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, "/")
}

// owner returns the member assigned topic/partition, or nil.
func (g *groupInfo) owner(topic string, partition int32) *memberInfo {
	for i := range g.Members {
		if g.Members[i].Assigned.Lookup(topic, partition) {
			return &g.Members[i]
		}
	}
	return nil
}

// describeGroups describes names in the order given. ListGroups tells each
// group's type; KIP-848 groups are described with ConsumerGroupDescribe and
// every other name (classic groups and names no broker lists) with
// DescribeGroups. A group that does not exist comes back with Err set to
// GROUP_ID_NOT_FOUND.
func (c *client) describeGroups(ctx context.Context, names []string) ([]groupInfo, error) {
	listed, err := c.listGroups(ctx, nil, nil)
	if err != nil {
		return nil, err
	}
	types := make(map[string]string, len(listed))
	for _, l := range listed {
		types[l.Name] = l.Type
	}
	var classic, consumer []string
	for _, n := range names {
		if types[n] == typeConsumer {
			consumer = append(consumer, n)
		} else {
			classic = append(classic, n)
		}
	}

	byName := make(map[string]groupInfo, len(names))
	if len(classic) > 0 {
		described, err := c.adm.DescribeGroups(ctx, classic...)
		if err != nil {
			return nil, fmt.Errorf("describing groups: %w", err)
		}
		for _, d := range described {
			g := groupInfo{
				Name: d.Group, Type: typeClassic, State: d.State, ProtocolType: d.ProtocolType,
				Protocol: d.Protocol, Coordinator: d.Coordinator,
				Err: clientflags.BrokerError(d.Err, d.ErrMessage),
			}
			for _, m := range d.Members {
				mi := memberInfo{ID: m.MemberID, InstanceID: deref(m.InstanceID), ClientID: m.ClientID, Host: m.ClientHost, Assigned: make(kadm.TopicsSet)}
				if a, ok := m.Assigned.AsConsumer(); ok {
					for _, t := range a.Topics {
						mi.Assigned.Add(t.Topic, t.Partitions...)
					}
				}
				g.Members = append(g.Members, mi)
			}
			byName[d.Group] = g
		}
	}
	if len(consumer) > 0 {
		described, err := c.describeConsumerGroups(ctx, consumer)
		if err != nil {
			return nil, err
		}
		for _, g := range described {
			byName[g.Name] = g
		}
	}

	out := make([]groupInfo, 0, len(names))
	for _, n := range names {
		g, ok := byName[n]
		if !ok {
			g = groupInfo{Name: n, Err: errors.New("not in the describe response")}
		}
		// Before DescribeGroups v6, a group that does not exist is
		// answered as Dead with no error; name it as v6 does.
		if g.Err == nil && g.State == "Dead" && len(g.Members) == 0 && types[n] == "" {
			g.Err = clientflags.BrokerError(kerr.GroupIDNotFound, "")
		}
		out = append(out, g)
	}
	return out, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// isGroupNotFound reports whether err is Kafka's GROUP_ID_NOT_FOUND.
func isGroupNotFound(err error) bool { return errors.Is(err, kerr.GroupIDNotFound) }

// fetchCommits returns group's committed offsets, keeping only partitions
// with a commit (offset >= 0) and no error.
func (c *client) fetchCommits(ctx context.Context, group string) (kadm.Offsets, error) {
	resps, err := c.adm.FetchOffsets(ctx, group)
	if err != nil {
		return nil, fmt.Errorf("fetching committed offsets of group %s: %w", group, clientflags.BrokerError(err, ""))
	}
	out := make(kadm.Offsets)
	var firstErr error
	resps.Each(func(o kadm.OffsetResponse) {
		if o.Err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("fetching committed offset of group %s, %s/%d: %w", group, o.Topic, o.Partition, clientflags.BrokerError(o.Err, ""))
			}
			return
		}
		if o.At >= 0 {
			out.Add(o.Offset)
		}
	})
	return out, firstErr
}

// listOffsets lists the start (earliest) or end (high watermark) offsets of
// topics; it fails on a topic or partition the broker could not answer for.
func listOffsets(ctx context.Context, list func(context.Context, ...string) (kadm.ListedOffsets, error), what string, topics []string) (kadm.ListedOffsets, error) {
	if len(topics) == 0 {
		return kadm.ListedOffsets{}, nil
	}
	listed, err := list(ctx, topics...)
	if err != nil {
		return nil, fmt.Errorf("listing %s offsets: %w", what, clientflags.BrokerError(err, ""))
	}
	var firstErr error
	listed.Each(func(o kadm.ListedOffset) {
		if o.Err != nil && firstErr == nil {
			if o.Partition < 0 {
				firstErr = fmt.Errorf("listing %s offsets of %s: %w", what, o.Topic, clientflags.BrokerError(o.Err, ""))
			} else {
				firstErr = fmt.Errorf("listing %s offsets of %s/%d: %w", what, o.Topic, o.Partition, clientflags.BrokerError(o.Err, ""))
			}
		}
	})
	return listed, firstErr
}

// describeConsumerGroups describes KIP-848 groups with ConsumerGroupDescribe.
// It sends the request itself rather than through kadm so that it keeps the
// assignments' topic IDs: a broker may answer with IDs only, and those are
// resolved to names through the cluster's metadata.
func (c *client) describeConsumerGroups(ctx context.Context, names []string) ([]groupInfo, error) {
	req := kmsg.NewPtrConsumerGroupDescribeRequest()
	req.Groups = names
	var out []groupInfo
	var topicNames map[[16]byte]string // loaded on the first assignment without a name
	for _, shard := range c.cl.RequestSharded(ctx, req) {
		if shard.Err != nil {
			return nil, fmt.Errorf("describing consumer groups on broker %d: %w", shard.Meta.NodeID, shard.Err)
		}
		resp := shard.Resp.(*kmsg.ConsumerGroupDescribeResponse)
		for _, rg := range resp.Groups {
			g := groupInfo{
				Name: rg.Group, Type: typeConsumer, State: rg.State, ProtocolType: "consumer",
				Protocol: rg.AssignorName, Coordinator: shard.Meta,
				Err: clientflags.BrokerError(kerr.ErrorForCode(rg.ErrorCode), deref(rg.ErrorMessage)),
			}
			for _, rm := range rg.Members {
				m := memberInfo{ID: rm.MemberID, InstanceID: deref(rm.InstanceID), ClientID: rm.ClientID, Host: rm.ClientHost, Assigned: make(kadm.TopicsSet)}
				for _, tp := range rm.Assignment.TopicPartitions {
					name := tp.Topic
					if name == "" {
						if topicNames == nil {
							var err error
							if topicNames, err = c.topicNames(ctx); err != nil {
								return nil, err
							}
						}
						if name = topicNames[tp.TopicID]; name == "" {
							name = kadm.TopicID(tp.TopicID).String()
						}
					}
					m.Assigned.Add(name, tp.Partitions...)
				}
				g.Members = append(g.Members, m)
			}
			out = append(out, g)
		}
	}
	return out, nil
}

// topicNames maps the cluster's topic IDs to topic names.
func (c *client) topicNames(ctx context.Context) (map[[16]byte]string, error) {
	details, err := c.adm.ListTopicsWithInternal(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing topics: %w", err)
	}
	out := make(map[[16]byte]string, len(details))
	for name, d := range details {
		out[d.ID] = name
	}
	return out, nil
}
