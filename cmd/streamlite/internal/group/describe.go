package group

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/streamlite/streamlite/cmd/streamlite/internal/clientflags"
)

func newDescribeCommand(cf *clientflags.Flags) *cobra.Command {
	var members bool
	var output string
	cmd := &cobra.Command{
		Use:   "describe GROUP...",
		Short: "Show groups' state, members, committed offsets and lag per partition",
		Long: `Show each group: a header (coordinator, state, type, protocol, member
count, total lag), then one row per partition the group is assigned or has
committed to, as kafka-consumer-groups.sh --describe shows it:

  TOPIC  PARTITION  CURRENT-OFFSET  LOG-END-OFFSET  LAG  MEMBER-ID  CLIENT-ID  HOST

CURRENT-OFFSET is the committed offset, LOG-END-OFFSET the high watermark,
LAG their difference; "-" where the group has no commit or no member owns
the partition. --members lists members and their assignments instead, and
-o json prints both views as one JSON array.`,
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

			infos, err := c.describeGroups(ctx, args)
			if err != nil {
				return err
			}
			var errs []error
			var views []groupView
			for i := range infos {
				g := &infos[i]
				v := groupView{info: g}
				if g.Err != nil {
					v.err = fmt.Errorf("describing group %s: %w", g.Name, g.Err)
					errs = append(errs, v.err)
					views = append(views, v)
					continue
				}
				commits, err := c.fetchCommits(ctx, g.Name)
				if err != nil {
					return err
				}
				parts := commits.TopicsSet()
				for _, m := range g.Members {
					parts.Merge(m.Assigned)
				}
				// A topic that no longer exists, or a partition that
				// cannot be listed, shows an unknown end offset.
				ends, _ := listOffsets(ctx, c.adm.ListEndOffsets, "end", parts.Topics())
				v.rows = lagRows(g, commits, ends)
				views = append(views, v)
			}

			out := cmd.OutOrStdout()
			switch {
			case output == "json":
				err = writeJSON(out, views)
			case members:
				err = writeMembers(out, views)
			default:
				err = writeDescribe(out, views)
			}
			if err != nil {
				return err
			}
			return errors.Join(errs...)
		},
	}
	cmd.Flags().BoolVar(&members, "members", false, "list members and their assignments instead of partitions")
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table or json")
	return cmd
}

// groupView is a described group with its partition rows, or the error
// that kept it from being described.
type groupView struct {
	info *groupInfo
	rows []partitionLag
	err  error
}

func writeDescribe(w io.Writer, views []groupView) error {
	first := true
	for _, v := range views {
		if v.err != nil {
			continue
		}
		if !first {
			fmt.Fprintln(w)
		}
		first = false
		g := v.info
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "GROUP\t%s\n", g.Name)
		fmt.Fprintf(tw, "COORDINATOR\t%s\n", coordinatorString(g.Coordinator))
		fmt.Fprintf(tw, "STATE\t%s\n", dash(g.State))
		fmt.Fprintf(tw, "TYPE\t%s\n", g.Type)
		fmt.Fprintf(tw, "PROTOCOL\t%s\n", g.protocolString())
		fmt.Fprintf(tw, "MEMBERS\t%d\n", len(g.Members))
		fmt.Fprintf(tw, "TOTAL-LAG\t%d\n", totalLag(v.rows))
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintln(w)
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "TOPIC\tPARTITION\tCURRENT-OFFSET\tLOG-END-OFFSET\tLAG\tMEMBER-ID\tCLIENT-ID\tHOST")
		for _, r := range v.rows {
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Topic, r.Partition,
				optInt(r.Committed), optInt(r.LogEnd), optInt(r.Lag), dash(r.MemberID), dash(r.ClientID), dash(r.Host))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

func writeMembers(w io.Writer, views []groupView) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "GROUP\tMEMBER-ID\tINSTANCE-ID\tCLIENT-ID\tHOST\tPARTITIONS\tASSIGNMENT")
	for _, v := range views {
		if v.err != nil {
			continue
		}
		for _, m := range v.info.Members {
			n := 0
			m.Assigned.Each(func(string, int32) { n++ })
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\n", v.info.Name, m.ID, dash(m.InstanceID),
				dash(m.ClientID), dash(m.Host), n, assignmentString(m.Assigned))
		}
	}
	return tw.Flush()
}

// assignmentString renders a TopicsSet as "a(0,1) b(2)", or "-".
func assignmentString(s kadm.TopicsSet) string {
	var parts []string
	for _, tp := range s.Sorted() {
		ps := make([]string, len(tp.Partitions))
		for i, p := range tp.Partitions {
			ps[i] = fmt.Sprint(p)
		}
		parts = append(parts, tp.Topic+"("+strings.Join(ps, ",")+")")
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, " ")
}

func coordinatorString(b kadm.BrokerDetail) string {
	if b.Host == "" {
		return "-"
	}
	return fmt.Sprintf("%d (%s:%d)", b.NodeID, b.Host, b.Port)
}

func optInt(v *int64) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprint(*v)
}

// The JSON form of `group describe -o json`: an array with one object per
// group named, in the order named.
type (
	groupJSON struct {
		Group        string           `json:"group"`
		State        string           `json:"state,omitempty"`
		Type         string           `json:"type,omitempty"`
		ProtocolType string           `json:"protocol_type,omitempty"`
		Protocol     string           `json:"protocol,omitempty"`
		Coordinator  *coordinatorJSON `json:"coordinator,omitempty"`
		Members      []memberJSON     `json:"members"`
		Partitions   []partitionLag   `json:"partitions"`
		TotalLag     int64            `json:"total_lag"`
		Error        string           `json:"error,omitempty"`
	}
	coordinatorJSON struct {
		NodeID int32  `json:"node_id"`
		Host   string `json:"host"`
		Port   int32  `json:"port"`
	}
	memberJSON struct {
		MemberID   string           `json:"member_id"`
		InstanceID string           `json:"instance_id,omitempty"`
		ClientID   string           `json:"client_id"`
		Host       string           `json:"host"`
		Assignment []assignmentJSON `json:"assignment"`
	}
	assignmentJSON struct {
		Topic      string  `json:"topic"`
		Partitions []int32 `json:"partitions"`
	}
)

func writeJSON(w io.Writer, views []groupView) error {
	out := make([]groupJSON, 0, len(views))
	for _, v := range views {
		g := v.info
		j := groupJSON{Group: g.Name, Members: []memberJSON{}, Partitions: []partitionLag{}}
		if v.err != nil {
			j.Error = v.err.Error()
			out = append(out, j)
			continue
		}
		j.State, j.Type, j.ProtocolType, j.Protocol = g.State, g.Type, g.ProtocolType, g.Protocol
		if g.Coordinator.Host != "" {
			j.Coordinator = &coordinatorJSON{NodeID: g.Coordinator.NodeID, Host: g.Coordinator.Host, Port: g.Coordinator.Port}
		}
		for _, m := range g.Members {
			mj := memberJSON{MemberID: m.ID, InstanceID: m.InstanceID, ClientID: m.ClientID, Host: m.Host, Assignment: []assignmentJSON{}}
			for _, tp := range m.Assigned.Sorted() {
				ps := append([]int32(nil), tp.Partitions...)
				sort.Slice(ps, func(a, b int) bool { return ps[a] < ps[b] })
				mj.Assignment = append(mj.Assignment, assignmentJSON{Topic: tp.Topic, Partitions: ps})
			}
			j.Members = append(j.Members, mj)
		}
		if v.rows != nil {
			j.Partitions = v.rows
		}
		j.TotalLag = totalLag(v.rows)
		out = append(out, j)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
