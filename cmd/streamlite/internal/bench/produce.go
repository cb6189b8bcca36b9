package bench

import (
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/streamlite/streamlite/engine/loadgen"
)

func newProduceCommand(c *common) *cobra.Command {
	var (
		o                 loadgen.ProduceOptions
		acks, compression string
	)
	cmd := &cobra.Command{
		Use:   "produce",
		Short: "Produce fixed-size records as fast as acknowledgements allow",
		Example: `  streamlite bench produce --records 1000000 --record-size 1024 --partitions 6 --producers 4
  streamlite bench produce --acks 1 -z zstd --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if o.Brokers, err = c.cf.SeedBrokers(); err != nil {
				return err
			}
			if o.Acks, err = loadgen.ParseAcks(acks); err != nil {
				return err
			}
			o.Compression = loadgen.Compression(compression)
			o.Topic = c.topic
			if o.Topic == "" {
				o.Topic = "bench-" + strconv.FormatInt(time.Now().UnixMilli(), 10)
			}
			res, err := loadgen.Produce(cmd.Context(), o)
			if err != nil {
				return fmt.Errorf("bench produce: %w", err)
			}
			return printResult(cmd.OutOrStdout(), "produce", res, c.asJSON)
		},
	}
	f := cmd.Flags()
	f.IntVarP(&o.Records, "records", "n", 100_000, "records to produce in all")
	f.IntVarP(&o.RecordSize, "record-size", "s", 100, "value size in bytes")
	f.IntVarP(&o.Partitions, "partitions", "p", 1, "partitions of the topic when it is created")
	f.StringVar(&acks, "acks", "all", "acks required: all, 1 or 0")
	f.StringVarP(&compression, "compression", "z", "none", "batch compression: none, gzip, snappy, lz4 or zstd")
	f.IntVar(&o.Producers, "producers", 1, "clients producing in parallel")
	f.DurationVar(&o.Linger, "linger", 0, "how long a batch waits for more records (Kafka's linger.ms)")
	return cmd
}
