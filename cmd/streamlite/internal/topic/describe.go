package topic

import (
	"fmt"
	"sort"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/streamlite/streamlite/cmd/streamlite/internal/clientflags"
	"github.com/streamlite/streamlite/engine/admin"
)

func newDescribeCommand(cf *clientflags.Flags) *cobra.Command {
	var adminAddr *string
	cmd := &cobra.Command{
		Use:   "describe NAME",
		Short: "Show a topic's partitions (leader, start and end offsets) and configs",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			ctx := cmd.Context()
			adm, err := cf.NewAdmin()
			if err != nil {
				return err
			}
			defer adm.Close()

			details, err := adm.ListTopicsWithInternal(ctx, name)
			if err != nil {
				return fmt.Errorf("describing topic %s: %w", name, err)
			}
			d, ok := details[name]
			if !ok {
				return fmt.Errorf("describing topic %s: not in the metadata response", name)
			}
			if d.Err != nil {
				return fmt.Errorf("describing topic %s: %w", name, clientflags.BrokerError(d.Err, ""))
			}
			starts, err := adm.ListStartOffsets(ctx, name)
			if err != nil {
				return fmt.Errorf("listing start offsets of %s: %w", name, err)
			}
			ends, err := adm.ListEndOffsets(ctx, name)
			if err != nil {
				return fmt.Errorf("listing end offsets of %s: %w", name, err)
			}
			rcs, err := adm.DescribeTopicConfigs(ctx, name)
			if err != nil {
				return fmt.Errorf("describing configs of %s: %w", name, err)
			}
			rc, err := rcs.On(name, nil)
			if err == nil && rc.Err != nil {
				err = clientflags.BrokerError(rc.Err, rc.ErrMessage)
			}
			if err != nil {
				return fmt.Errorf("describing configs of %s: %w", name, err)
			}

			out := cmd.OutOrStdout()
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "NAME\t%s\n", name)
			if d.ID != (kadm.TopicID{}) {
				fmt.Fprintf(tw, "ID\t%s\n", d.ID)
			}
			fmt.Fprintf(tw, "INTERNAL\t%t\n", d.IsInternal)
			fmt.Fprintf(tw, "PARTITIONS\t%d\n", len(d.Partitions))
			fmt.Fprintf(tw, "REPLICAS\t%d\n", replicaCount(d))
			if err := tw.Flush(); err != nil {
				return err
			}

			fmt.Fprintln(out)
			tw = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "PARTITION\tLEADER\tEPOCH\tREPLICAS\tISR\tSTART\tEND")
			for _, p := range d.Partitions.Sorted() {
				start, end := "-", "-"
				if o, ok := starts.Lookup(name, p.Partition); ok {
					start = offsetString(o.Offset, o.Err)
				}
				if o, ok := ends.Lookup(name, p.Partition); ok {
					end = offsetString(o.Offset, o.Err)
				}
				fmt.Fprintf(tw, "%d\t%d\t%d\t%v\t%v\t%s\t%s", p.Partition, p.Leader, p.LeaderEpoch, p.Replicas, p.ISR, start, end)
				if p.Err != nil {
					fmt.Fprintf(tw, "\t%s", clientflags.BrokerError(p.Err, ""))
				}
				fmt.Fprintln(tw)
			}
			if err := tw.Flush(); err != nil {
				return err
			}

			if remoteStorage(rc.Configs) {
				fmt.Fprintln(out)
				if err := describeTiered(ctx, cf, out, name, *adminAddr, d.Partitions.Numbers()); err != nil {
					return err
				}
			}

			fmt.Fprintln(out)
			configs := rc.Configs
			sort.Slice(configs, func(i, j int) bool { return configs[i].Key < configs[j].Key })
			tw = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "CONFIG\tVALUE\tSOURCE")
			for _, c := range configs {
				v := c.MaybeValue()
				if c.Sensitive {
					v = "(sensitive)"
				} else if c.Value == nil {
					v = "(null)"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\n", c.Key, v, c.Source)
			}
			return tw.Flush()
		},
	}
	adminAddr = cmd.Flags().String("admin-addr", admin.DefaultAddr,
		"the broker's admin HTTP address, for tiered storage's byte counts (env "+clientflags.EnvName("admin-addr")+")")
	return cmd
}

func offsetString(off int64, err error) string {
	if err != nil {
		return clientflags.BrokerError(err, "").Error()
	}
	return fmt.Sprint(off)
}
