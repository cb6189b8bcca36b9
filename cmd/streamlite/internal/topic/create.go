package topic

import (
	"errors"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/streamlite/streamlite/cmd/streamlite/internal/clientflags"
)

func newCreateCommand(cf *clientflags.Flags) *cobra.Command {
	var (
		partitions int32
		replicas   int16
		configs    []string
	)
	cmd := &cobra.Command{
		Use:   "create NAME...",
		Short: "Create topics",
		Example: `  streamlite topic create orders -p 6
  streamlite topic create audit -c cleanup.policy=compact -c retention.ms=-1`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfgs := make(map[string]*string, len(configs))
			for _, kv := range configs {
				k, v, err := clientflags.ParseKeyValue("config", kv)
				if err != nil {
					return err
				}
				cfgs[k] = kadm.StringPtr(v)
			}
			adm, err := cf.NewAdmin()
			if err != nil {
				return err
			}
			defer adm.Close()

			resps, err := adm.CreateTopics(cmd.Context(), partitions, replicas, cfgs, args...)
			if err != nil {
				return fmt.Errorf("creating topics: %w", err)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "TOPIC\tPARTITIONS\tREPLICAS\tSTATUS")
			var firstErr error
			for _, name := range args {
				r, ok := resps[name]
				if !ok {
					r = kadm.CreateTopicResponse{Topic: name, Err: errors.New("not in the response")}
				}
				status := "OK"
				if r.Err != nil {
					e := clientflags.BrokerError(r.Err, r.ErrMessage)
					status = e.Error()
					if firstErr == nil {
						firstErr = fmt.Errorf("creating topic %s: %w", r.Topic, e)
					}
					fmt.Fprintf(tw, "%s\t-\t-\t%s\n", r.Topic, status)
					continue
				}
				fmt.Fprintf(tw, "%s\t%d\t%d\t%s\n", r.Topic, r.NumPartitions, r.ReplicationFactor, status)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			return firstErr
		},
	}
	f := cmd.Flags()
	f.Int32VarP(&partitions, "partitions", "p", -1, "number of partitions (-1: the broker's num.partitions)")
	f.Int16VarP(&replicas, "replicas", "r", -1, "replication factor (-1: the broker's default.replication.factor)")
	f.StringArrayVarP(&configs, "config", "c", nil, "topic config key=value, Kafka's names (repeatable)")
	return cmd
}
