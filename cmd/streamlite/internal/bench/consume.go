package bench

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/streamlite/streamlite/engine/loadgen"
)

func newConsumeCommand(c *common) *cobra.Command {
	var o loadgen.ConsumeOptions
	cmd := &cobra.Command{
		Use:   "consume",
		Short: "Read a topic from its start to its end offsets",
		Example: `  streamlite bench produce --topic perf --records 1000000
  streamlite bench consume --topic perf`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if o.Brokers, err = c.cf.SeedBrokers(); err != nil {
				return err
			}
			if o.Topic = c.topic; o.Topic == "" {
				return errors.New("bench consume: --topic is required (bench produce prints the topic it wrote)")
			}
			res, err := loadgen.Consume(cmd.Context(), o)
			if err != nil {
				return fmt.Errorf("bench consume: %w", err)
			}
			return printResult(cmd.OutOrStdout(), "consume", res, c.asJSON)
		},
	}
	cmd.Flags().IntVarP(&o.Records, "records", "n", 0, "stop after this many records (0: read to the end)")
	return cmd
}
