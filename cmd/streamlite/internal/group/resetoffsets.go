package group

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/streamlite/streamlite/cmd/streamlite/internal/clientflags"
)

// resetOptions are the flags of reset-offsets.
type resetOptions struct {
	topics    []string // --topic T or T:p,p, repeatable
	allTopics bool

	toEarliest, toLatest bool
	toDatetime           string
	shiftBy, toOffset    int64

	dryRun, execute bool
}

func newResetOffsetsCommand(cf *clientflags.Flags) *cobra.Command {
	var o resetOptions
	cmd := &cobra.Command{
		Use:   "reset-offsets GROUP (--topic T[:p,p]... | --all-topics) MODE [--dry-run | --execute]",
		Short: "Plan or commit new offsets for an inactive group",
		Long: `Reset a group's committed offsets, as kafka-consumer-groups.sh --reset-offsets
does. The group must be inactive (Empty, or Dead: no group yet); a group with
members is refused, since its consumers would overwrite the new offsets.

Scope, exactly one:
  --topic T          every partition of T; --topic T:0,2 only those; repeatable
  --all-topics       every partition the group has committed to

Mode, exactly one:
  --to-earliest      the log start offset
  --to-latest        the log end offset
  --to-datetime DT   the first offset whose timestamp is at or after DT
                     (2026-11-22T10:00:00[.000][Z|+hh:mm|-hh:mm]; local time
                     without a zone); the end offset if there is none
  --shift-by N       the committed offset plus N (N may be negative)
  --to-offset N      offset N

Every new offset is clamped to [log start, log end]. --dry-run prints the plan
(TOPIC PARTITION CURRENT NEW) and commits nothing; --execute commits it. With
neither, the plan is printed and nothing is executed, as Kafka's tool does.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runReset(cmd, cf, args[0], &o)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.topics, "topic", nil, "topic to reset, T or T:p,p (repeatable)")
	f.BoolVar(&o.allTopics, "all-topics", false, "reset every partition the group has committed to")
	f.BoolVar(&o.toEarliest, "to-earliest", false, "reset to the log start offset")
	f.BoolVar(&o.toLatest, "to-latest", false, "reset to the log end offset")
	f.StringVar(&o.toDatetime, "to-datetime", "", "reset to the first offset at or after this time (2026-11-22T10:00:00[.000][Z|±hh:mm])")
	f.Int64Var(&o.shiftBy, "shift-by", 0, "move the committed offset by N (negative: back)")
	f.Int64Var(&o.toOffset, "to-offset", 0, "reset to offset N")
	f.BoolVar(&o.dryRun, "dry-run", false, "print the plan and commit nothing")
	f.BoolVar(&o.execute, "execute", false, "commit the new offsets")
	return cmd
}

// resetMode is the one mode flag given.
type resetMode int

const (
	modeEarliest resetMode = iota
	modeLatest
	modeDatetime
	modeShiftBy
	modeToOffset
)

// validate checks the flag combination and returns the mode.
func (o *resetOptions) validate(cmd *cobra.Command) (resetMode, error) {
	changed := cmd.Flags().Changed
	if len(o.topics) > 0 == o.allTopics {
		return 0, errors.New("name the partitions to reset with exactly one of --topic or --all-topics")
	}
	var modes []resetMode
	var names []string
	for _, m := range []struct {
		flag string
		mode resetMode
	}{
		{"to-earliest", modeEarliest}, {"to-latest", modeLatest}, {"to-datetime", modeDatetime},
		{"shift-by", modeShiftBy}, {"to-offset", modeToOffset},
	} {
		if changed(m.flag) {
			modes = append(modes, m.mode)
			names = append(names, "--"+m.flag)
		}
	}
	if len(modes) != 1 {
		msg := "give exactly one of --to-earliest, --to-latest, --to-datetime, --shift-by or --to-offset"
		if len(modes) > 1 {
			msg += " (got " + strings.Join(names, ", ") + ")"
		}
		return 0, errors.New(msg)
	}
	if o.dryRun && o.execute {
		return 0, errors.New("--dry-run and --execute exclude each other")
	}
	return modes[0], nil
}

// planEntry is one partition of a reset plan.
type planEntry struct {
	Topic     string
	Partition int32
	Current   *int64 // committed offset, nil if none
	New       int64
}

func runReset(cmd *cobra.Command, cf *clientflags.Flags, group string, o *resetOptions) error {
	mode, err := o.validate(cmd)
	if err != nil {
		return err
	}
	var millis int64
	if mode == modeDatetime {
		t, err := parseDateTime(o.toDatetime, time.Local)
		if err != nil {
			return err
		}
		millis = t.UnixMilli()
	}
	specs, err := parseTopicSpecs(o.topics)
	if err != nil {
		return err
	}

	ctx := cmd.Context()
	c, err := newClient(cf)
	if err != nil {
		return err
	}
	defer c.close()

	infos, err := c.describeGroups(ctx, []string{group})
	if err != nil {
		return err
	}
	g := infos[0]
	state := g.State
	switch {
	case g.Err != nil && isGroupNotFound(g.Err):
		state = "Dead"
	case g.Err != nil:
		return fmt.Errorf("describing group %s: %w", group, g.Err)
	}
	if state != "Empty" && state != "Dead" {
		return fmt.Errorf("assignments can only be reset if the group '%s' is inactive, but the current state is %s", group, state)
	}

	commits, err := c.fetchCommits(ctx, group)
	if err != nil && !isGroupNotFound(err) {
		return err
	}
	parts, err := c.resetPartitions(ctx, group, specs, commits)
	if err != nil {
		return err
	}
	plan, err := c.planReset(ctx, mode, o, millis, parts, commits)
	if err != nil {
		return err
	}

	if o.execute {
		offsets := make(kadm.Offsets)
		for _, e := range plan {
			offsets.AddOffset(e.Topic, e.Partition, e.New, -1)
		}
		resps, err := c.adm.CommitOffsets(ctx, group, offsets)
		if err != nil {
			return fmt.Errorf("committing offsets of group %s: %w", group, clientflags.BrokerError(err, ""))
		}
		var errs []error
		for _, r := range resps.Sorted() {
			if r.Err != nil {
				errs = append(errs, fmt.Errorf("committing offset of group %s, %s/%d: %w", group, r.Topic, r.Partition, clientflags.BrokerError(r.Err, "")))
			}
		}
		if err := errors.Join(errs...); err != nil {
			return err
		}
	}
	if err := writePlan(cmd, plan); err != nil {
		return err
	}
	if !o.dryRun && !o.execute {
		fmt.Fprintln(cmd.ErrOrStderr(), "nothing was executed: add --execute to commit these offsets, or --dry-run to only print the plan")
	}
	return nil
}

func writePlan(cmd *cobra.Command, plan []planEntry) error {
	tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TOPIC\tPARTITION\tCURRENT\tNEW")
	for _, e := range plan {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\n", e.Topic, e.Partition, optInt(e.Current), e.New)
	}
	return tw.Flush()
}

// topicSpec is one --topic value: a topic and, if given, its partitions.
type topicSpec struct {
	topic      string
	partitions []int32 // nil: all
}

// parseTopicSpecs parses --topic values: "T" or "T:0,1,2".
func parseTopicSpecs(values []string) ([]topicSpec, error) {
	var specs []topicSpec
	for _, v := range values {
		t, ps, hasParts := strings.Cut(v, ":")
		if t == "" || hasParts && ps == "" {
			return nil, fmt.Errorf("invalid --topic %q: want TOPIC or TOPIC:PARTITION,PARTITION", v)
		}
		s := topicSpec{topic: t}
		if hasParts {
			for _, p := range strings.Split(ps, ",") {
				n, err := strconv.ParseInt(strings.TrimSpace(p), 10, 32)
				if err != nil || n < 0 {
					return nil, fmt.Errorf("invalid --topic %q: partition %q is not a number >= 0", v, p)
				}
				s.partitions = append(s.partitions, int32(n))
			}
		}
		specs = append(specs, s)
	}
	return specs, nil
}

// resetPartitions resolves the scope: the partitions named by specs (each
// checked against the topic's metadata), or, with no specs (--all-topics),
// every partition the group has committed to.
func (c *client) resetPartitions(ctx context.Context, group string, specs []topicSpec, commits kadm.Offsets) (kadm.TopicsSet, error) {
	parts := make(kadm.TopicsSet)
	if len(specs) == 0 {
		parts = commits.TopicsSet()
		if len(parts) == 0 {
			return nil, fmt.Errorf("group %s has no committed offsets: name the partitions with --topic", group)
		}
		return parts, nil
	}
	var topics []string
	for _, s := range specs {
		topics = append(topics, s.topic)
	}
	details, err := c.adm.ListTopics(ctx, topics...)
	if err != nil {
		return nil, fmt.Errorf("describing topics: %w", err)
	}
	for _, s := range specs {
		d, ok := details[s.topic]
		if !ok {
			return nil, fmt.Errorf("topic %s: not in the metadata response", s.topic)
		}
		if d.Err != nil {
			return nil, fmt.Errorf("topic %s: %w", s.topic, clientflags.BrokerError(d.Err, ""))
		}
		if s.partitions == nil {
			for p := range d.Partitions {
				parts.Add(s.topic, p)
			}
			continue
		}
		for _, p := range s.partitions {
			if _, ok := d.Partitions[p]; !ok {
				return nil, fmt.Errorf("topic %s has no partition %d (it has %d)", s.topic, p, len(d.Partitions))
			}
			parts.Add(s.topic, p)
		}
	}
	return parts, nil
}

// planReset computes the new offset of every partition of parts, clamped to
// the partition's [log start, log end] as Kafka clamps it.
func (c *client) planReset(ctx context.Context, mode resetMode, o *resetOptions, millis int64, parts kadm.TopicsSet, commits kadm.Offsets) ([]planEntry, error) {
	topics := parts.Topics()
	starts, err := listOffsets(ctx, c.adm.ListStartOffsets, "start", topics)
	if err != nil {
		return nil, err
	}
	ends, err := listOffsets(ctx, c.adm.ListEndOffsets, "end", topics)
	if err != nil {
		return nil, err
	}
	var atTime kadm.ListedOffsets
	if mode == modeDatetime {
		list := func(ctx context.Context, topics ...string) (kadm.ListedOffsets, error) {
			return c.adm.ListOffsetsAfterMilli(ctx, millis, topics...)
		}
		if atTime, err = listOffsets(ctx, list, "by-time", topics); err != nil {
			return nil, err
		}
	}

	var plan []planEntry
	var errs []error
	parts.Each(func(t string, p int32) {
		e := planEntry{Topic: t, Partition: p}
		if o, ok := commits.Lookup(t, p); ok {
			e.Current = ptr(o.At)
		}
		start, okS := starts.Lookup(t, p)
		end, okE := ends.Lookup(t, p)
		if !okS || !okE {
			errs = append(errs, fmt.Errorf("%s/%d: the broker listed no start or end offset", t, p))
			return
		}
		switch mode {
		case modeEarliest:
			e.New = start.Offset
		case modeLatest:
			e.New = end.Offset
		case modeDatetime:
			e.New = end.Offset
			if a, ok := atTime.Lookup(t, p); ok && a.Offset >= 0 {
				e.New = a.Offset
			}
		case modeShiftBy:
			if e.Current == nil {
				errs = append(errs, fmt.Errorf("cannot shift the offset of %s/%d: the group has no committed offset there", t, p))
				return
			}
			e.New = *e.Current + o.shiftBy
		case modeToOffset:
			e.New = o.toOffset
		}
		e.New = max(start.Offset, min(e.New, end.Offset))
		plan = append(plan, e)
	})
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	sort.Slice(plan, func(i, j int) bool {
		if plan[i].Topic != plan[j].Topic {
			return plan[i].Topic < plan[j].Topic
		}
		return plan[i].Partition < plan[j].Partition
	})
	return plan, nil
}

// parseDateTime parses a --to-datetime value as Kafka's tool does:
// YYYY-MM-DDTHH:mm:SS, optional fractional seconds, then an optional zone
// (Z, ±hh:mm or ±hhmm). A value without a zone is a time in loc.
func parseDateTime(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02T15:04:05Z07:00", "2006-01-02T15:04:05Z0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	t, err := time.ParseInLocation("2006-01-02T15:04:05", s, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("invalid --to-datetime %q: want YYYY-MM-DDTHH:mm:SS[.sss][Z|±hh:mm]", s)
	}
	return t, nil
}
