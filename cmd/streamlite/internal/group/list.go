package group

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/streamlite/streamlite/cmd/streamlite/internal/clientflags"
)

func newListCommand(cf *clientflags.Flags) *cobra.Command {
	var states, types []string
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List groups with their state, type (classic or consumer) and member count",
		Long: `List the groups of every broker: GROUP, STATE, TYPE and MEMBERS.

TYPE is "classic" for groups of the JoinGroup/SyncGroup protocol and
"consumer" for KIP-848 groups (ConsumerGroupHeartbeat). --state keeps groups
in the given states (Kafka's names, any case: Empty, Stable,
PreparingRebalance, CompletingRebalance, Dead, Assigning, Reconciling);
--type keeps groups of the given types.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for i, s := range states {
				c, err := canonicalState(s)
				if err != nil {
					return err
				}
				states[i] = c
			}
			ctx := cmd.Context()
			c, err := newClient(cf)
			if err != nil {
				return err
			}
			defer c.close()

			listed, err := c.listGroups(ctx, states, types)
			if err != nil {
				return err
			}
			members := make(map[string]int, len(listed))
			var classic, consumer []string
			for _, l := range listed {
				switch l.Type {
				case typeClassic:
					classic = append(classic, l.Name)
				case typeConsumer:
					consumer = append(consumer, l.Name)
				}
			}
			if len(classic) > 0 {
				described, err := c.adm.DescribeGroups(ctx, classic...)
				if err != nil {
					return fmt.Errorf("describing groups: %w", err)
				}
				for _, d := range described {
					if d.Err == nil {
						members[d.Group] = len(d.Members)
					}
				}
			}
			if len(consumer) > 0 {
				described, err := c.adm.DescribeConsumerGroups(ctx, consumer...)
				if err != nil {
					return fmt.Errorf("describing consumer groups: %w", err)
				}
				for _, d := range described {
					if d.Err == nil {
						members[d.Group] = len(d.Members)
					}
				}
			}

			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "GROUP\tSTATE\tTYPE\tMEMBERS")
			for _, l := range listed {
				n := "-"
				if m, ok := members[l.Name]; ok {
					n = fmt.Sprint(m)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", l.Name, dash(l.State), l.Type, n)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringSliceVar(&states, "state", nil, "keep only groups in these states (comma-separated; Empty, Stable, ...)")
	cmd.Flags().StringSliceVar(&types, "type", nil, "keep only groups of these types (classic, consumer)")
	return cmd
}

// dash returns s, or "-" when s is empty.
func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
