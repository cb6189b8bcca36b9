package cluster

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Topic configs the topics screen shows.
const (
	cfgRetentionMs    = "retention.ms"
	cfgRetentionBytes = "retention.bytes"
	cfgCleanupPolicy  = "cleanup.policy"
	cfgRemoteStorage  = "remote.storage.enable"
	cfgAutoCreated    = "streamlite.auto.created"
)

// listConfigNames are the configs Topics asks for (Topic asks for all of them).
var listConfigNames = []string{cfgRetentionMs, cfgRetentionBytes, cfgCleanupPolicy, cfgRemoteStorage, cfgAutoCreated}

// Special ListOffsets timestamps.
const (
	tsEnd          = -1 // the high watermark
	tsStart        = -2 // the log start offset
	tsMaxTimestamp = -3 // the record with the largest timestamp (KIP-734, Kafka 3.0)
	tsLocalStart   = -4 // the earliest offset on local disk (KIP-405/1005, Kafka 3.4+)
)

// Topics lists every topic, internal ones included, sorted by name. It sends one Metadata
// request and then, concurrently, one ListOffsets request per kind (start, end, max
// timestamp, earliest local; each split by partition leader), one DescribeLogDirs per broker
// and one DescribeConfigs, whatever the number of topics.
//
// Only a failed Metadata request is an error. Anything later degrades the rows instead:
// Records counts only the partitions whose offsets were listed, Bytes is -1 when a
// partition's size is unknown, RetentionMs and RetentionBytes are 0 and the flags false when
// configs were not described, LastWrite is zero and RemoteRecords 0 when the broker does not
// answer ListOffsets -3 and -4. (A broker older than Kafka 3.0 reads -3 as a timestamp and
// its LastWrite is then the first record's time.)
func (c *Client) Topics(ctx context.Context) ([]Topic, error) {
	details, err := c.describeTopics(ctx, nil, listConfigNames)
	if err != nil {
		return nil, err
	}
	out := make([]Topic, len(details))
	for i, d := range details {
		out[i] = d.Topic
	}
	return out, nil
}

// Topic describes one topic: its partitions with offsets, sizes and last write times, and
// all its configs sorted by name. The error wraps kerr.UnknownTopicOrPartition when the topic
// does not exist. Failures after Metadata degrade as in Topics; a partition whose offsets
// could not be listed carries the error in Partition.Err.
func (c *Client) Topic(ctx context.Context, name string) (TopicDetail, error) {
	details, err := c.describeTopics(ctx, []string{name}, nil)
	if err != nil {
		return TopicDetail{}, err
	}
	if len(details) != 1 {
		return TopicDetail{}, fmt.Errorf("describing topic %s: %w", name, kerr.UnknownTopicOrPartition)
	}
	return details[0], nil
}

// CreateTopic creates a topic. partitions -1 and replicationFactor -1 take the broker's
// defaults (num.partitions, default.replication.factor); configs are topic configs
// (retention.ms, cleanup.policy, ...), nil for none.
func (c *Client) CreateTopic(ctx context.Context, name string, partitions int32, replicationFactor int16, configs map[string]string) error {
	var cs map[string]*string
	if len(configs) > 0 {
		cs = make(map[string]*string, len(configs))
		for k, v := range configs {
			cs[k] = &v
		}
	}
	resp, err := c.adm.CreateTopic(ctx, partitions, replicationFactor, cs, name)
	if err == nil {
		err = resp.Err
		if err != nil && resp.ErrMessage != "" {
			err = fmt.Errorf("%w: %s", err, resp.ErrMessage)
		}
	}
	if err != nil {
		return fmt.Errorf("creating topic %s: %w", name, err)
	}
	return nil
}

// DeleteTopic deletes a topic and its records.
func (c *Client) DeleteTopic(ctx context.Context, name string) error {
	resp, err := c.adm.DeleteTopic(ctx, name)
	if err == nil {
		err = resp.Err
		if err != nil && resp.ErrMessage != "" {
			err = fmt.Errorf("%w: %s", err, resp.ErrMessage)
		}
	}
	if err != nil {
		return fmt.Errorf("deleting topic %s: %w", name, err)
	}
	return nil
}

// tp names one partition.
type tp struct {
	topic     string
	partition int32
}

// listed is one partition's answer to a ListOffsets request.
type listed struct {
	offset    int64
	timestamp int64
	err       error
}

// describeTopics gathers the topics named (nil: all), sorted by name. configNames narrows
// DescribeConfigs (nil: every config, and TopicDetail.Configs is filled in).
func (c *Client) describeTopics(ctx context.Context, names []string, configNames []string) ([]TopicDetail, error) {
	md, err := c.adm.Metadata(ctx, names...)
	if err != nil {
		if len(names) == 1 {
			return nil, fmt.Errorf("metadata of topic %s from %s: %w", names[0], c.brokersString(), err)
		}
		return nil, fmt.Errorf("listing topics from %s: %w", c.brokersString(), err)
	}
	var topics []string
	parts := make(map[string][]int32)
	for _, td := range md.Topics {
		if td.Err != nil {
			if len(names) == 1 {
				return nil, fmt.Errorf("describing topic %s: %w", td.Topic, td.Err)
			}
			continue // a topic being deleted or created; not a row yet
		}
		topics = append(topics, td.Topic)
		parts[td.Topic] = td.Partitions.Numbers()
	}
	sort.Strings(topics)

	var (
		wg       sync.WaitGroup
		offsets  [4]map[tp]listed
		sizes    map[tp]int64 // by leader (or any replica)
		sizesErr error
		configs  map[string][]ConfigEntry
		cfgErr   error
	)
	for i, ts := range []int64{tsStart, tsEnd, tsMaxTimestamp, tsLocalStart} {
		wg.Go(func() { offsets[i] = c.listOffsets(ctx, parts, ts) })
	}
	if len(topics) > 0 {
		wg.Go(func() { sizes, sizesErr = c.partitionSizes(ctx, md, names) })
		wg.Go(func() { configs, cfgErr = c.topicConfigs(ctx, topics, configNames) })
	}
	wg.Wait()
	starts, ends, maxTS, localStarts := offsets[0], offsets[1], offsets[2], offsets[3]

	out := make([]TopicDetail, 0, len(topics))
	for _, name := range topics {
		td := md.Topics[name]
		d := TopicDetail{Topic: Topic{
			Name:       name,
			Partitions: len(td.Partitions),
			Replicas:   td.Partitions.NumReplicas(),
			Internal:   td.IsInternal,
		}}
		if sizesErr != nil || sizes == nil {
			d.Bytes = -1
		}
		for _, pd := range td.Partitions.Sorted() {
			k := tp{name, pd.Partition}
			p := Partition{
				ID:       pd.Partition,
				Leader:   pd.Leader,
				Replicas: pd.Replicas,
				ISR:      pd.ISR,
				Start:    -1,
				End:      -1,
				Bytes:    -1,
				Err:      pd.Err,
			}
			s, e := starts[k], ends[k]
			if p.Err == nil {
				p.Err = errors.Join(s.err, e.err)
			}
			if s.err == nil && e.err == nil {
				p.Start, p.End = s.offset, e.offset
				d.Records += max(0, p.End-p.Start)
			}
			p.LocalStart = p.Start
			if l := localStarts[k]; l.err == nil && l.offset >= p.Start && p.Start >= 0 {
				p.LocalStart = l.offset
				d.RemoteRecords += p.LocalStart - p.Start
			}
			if m := maxTS[k]; m.err == nil && m.offset >= 0 && m.timestamp > 0 {
				p.LastWrite = time.UnixMilli(m.timestamp)
				if p.LastWrite.After(d.LastWrite) {
					d.LastWrite = p.LastWrite
				}
			}
			if n, ok := sizes[k]; ok {
				p.Bytes = n
				if d.Bytes >= 0 {
					d.Bytes += n
				}
			} else {
				d.Bytes = -1
			}
			d.Parts = append(d.Parts, p)
		}
		if entries, ok := configs[name]; ok && cfgErr == nil {
			applyConfigs(&d.Topic, entries)
			if configNames == nil {
				d.Configs = configs[name]
			}
		}
		out = append(out, d)
	}
	return out, nil
}

// applyConfigs fills the config-backed fields of t.
func applyConfigs(t *Topic, entries []ConfigEntry) {
	t.RetentionMs, t.RetentionBytes = -1, -1
	for _, e := range entries {
		switch e.Name {
		case cfgRetentionMs:
			if n, err := strconv.ParseInt(e.Value, 10, 64); err == nil {
				t.RetentionMs = n
			}
		case cfgRetentionBytes:
			if n, err := strconv.ParseInt(e.Value, 10, 64); err == nil {
				t.RetentionBytes = n
			}
		case cfgCleanupPolicy:
			t.CleanupPolicy = e.Value
		case cfgRemoteStorage:
			t.Tiered = e.Value == "true"
		case cfgAutoCreated:
			t.AutoCreated = e.Value == "true"
		}
	}
}

// listOffsets sends one ListOffsets request for every partition of parts at timestamp ts
// (kgo splits it by leader). A partition missing from the answer has an error.
func (c *Client) listOffsets(ctx context.Context, parts map[string][]int32, ts int64) map[tp]listed {
	out := make(map[tp]listed)
	if len(parts) == 0 {
		return out
	}
	req := kmsg.NewPtrListOffsetsRequest()
	req.ReplicaID = -1
	for topic, ps := range parts {
		rt := kmsg.NewListOffsetsRequestTopic()
		rt.Topic = topic
		for _, p := range ps {
			rp := kmsg.NewListOffsetsRequestTopicPartition()
			rp.Partition = p
			rp.CurrentLeaderEpoch = -1
			rp.Timestamp = ts
			rt.Partitions = append(rt.Partitions, rp)
		}
		req.Topics = append(req.Topics, rt)
	}
	for _, shard := range c.kcl.RequestSharded(ctx, req) {
		if shard.Err != nil {
			sreq, _ := shard.Req.(*kmsg.ListOffsetsRequest)
			if sreq == nil {
				continue
			}
			for _, t := range sreq.Topics {
				for _, p := range t.Partitions {
					out[tp{t.Topic, p.Partition}] = listed{offset: -1, err: fmt.Errorf("listing offsets of %s[%d]: %w", t.Topic, p.Partition, shard.Err)}
				}
			}
			continue
		}
		resp := shard.Resp.(*kmsg.ListOffsetsResponse)
		for _, t := range resp.Topics {
			for _, p := range t.Partitions {
				l := listed{offset: p.Offset, timestamp: p.Timestamp}
				if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
					l.err = fmt.Errorf("listing offsets of %s[%d]: %w", t.Topic, p.Partition, err)
				}
				out[tp{t.Topic, p.Partition}] = l
			}
		}
	}
	for topic, ps := range parts {
		for _, p := range ps {
			if _, ok := out[tp{topic, p}]; !ok {
				out[tp{topic, p}] = listed{offset: -1, err: fmt.Errorf("listing offsets of %s[%d]: no answer", topic, p)}
			}
		}
	}
	return out
}

// partitionSizes asks every broker for its log dirs and returns each partition's size on
// its leader (on another replica when the leader did not answer for it): one copy, not the
// sum over replicas. names nil describes every topic.
func (c *Client) partitionSizes(ctx context.Context, md kadm.Metadata, names []string) (map[tp]int64, error) {
	var set kadm.TopicsSet
	if names != nil {
		set = make(kadm.TopicsSet)
		for _, n := range names {
			if td, ok := md.Topics[n]; ok {
				set.Add(n, td.Partitions.Numbers()...)
			}
		}
	}
	all, err := c.adm.DescribeAllLogDirs(ctx, set)
	if len(all) == 0 {
		if err == nil {
			err = errors.New("no broker described its log dirs")
		}
		return nil, fmt.Errorf("describing log dirs: %w", err)
	}
	out := make(map[tp]int64)
	leaders := make(map[tp]bool)
	for broker, dirs := range all {
		dirs.EachPartition(func(p kadm.DescribedLogDirPartition) {
			if p.IsFuture {
				return
			}
			k := tp{p.Topic, p.Partition}
			isLeader := false
			if td, ok := md.Topics[p.Topic]; ok {
				isLeader = td.Partitions[p.Partition].Leader == broker
			}
			switch {
			case isLeader && !leaders[k]:
				out[k] = p.Size
				leaders[k] = true
			case isLeader: // a second dir on the leader (should not happen): add it
				out[k] += p.Size
			case !leaders[k]:
				out[k] = max(out[k], p.Size)
			}
		})
	}
	return out, nil
}

// topicConfigs sends one DescribeConfigs request for topics, asking for configNames only
// (nil: all). Entries are sorted by name.
func (c *Client) topicConfigs(ctx context.Context, topics []string, configNames []string) (map[string][]ConfigEntry, error) {
	req := kmsg.NewPtrDescribeConfigsRequest()
	for _, t := range topics {
		r := kmsg.NewDescribeConfigsRequestResource()
		r.ResourceType = kmsg.ConfigResourceTypeTopic
		r.ResourceName = t
		r.ConfigNames = configNames
		req.Resources = append(req.Resources, r)
	}
	out := make(map[string][]ConfigEntry, len(topics))
	var firstErr error
	for _, shard := range c.kcl.RequestSharded(ctx, req) {
		if shard.Err != nil {
			if firstErr == nil {
				firstErr = shard.Err
			}
			continue
		}
		resp := shard.Resp.(*kmsg.DescribeConfigsResponse)
		for _, r := range resp.Resources {
			if r.ErrorCode != 0 {
				continue
			}
			entries := make([]ConfigEntry, 0, len(r.Configs))
			for _, cfg := range r.Configs {
				e := ConfigEntry{Name: cfg.Name, Sensitive: cfg.IsSensitive}
				if cfg.Value != nil {
					e.Value = *cfg.Value
				}
				if resp.Version >= 1 {
					e.Default = cfg.Source != kmsg.ConfigSourceDynamicTopicConfig
				} else {
					e.Default = cfg.IsDefault
				}
				entries = append(entries, e)
			}
			sort.Slice(entries, func(i, j int) bool { return entries[i].Name < entries[j].Name })
			out[r.ResourceName] = entries
		}
	}
	if len(out) == 0 && firstErr != nil {
		return nil, fmt.Errorf("describing topic configs: %w", firstErr)
	}
	return out, nil
}
