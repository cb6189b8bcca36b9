package topic

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/streamlite/streamlite/cmd/streamlite/internal/clientflags"
)

func newAlterConfigCommand(cf *clientflags.Flags) *cobra.Command {
	var (
		sets    []string
		deletes []string
		dryRun  bool
	)
	cmd := &cobra.Command{
		Use:   "alter-config NAME...",
		Short: "Set or delete topic configs (IncrementalAlterConfigs)",
		Example: `  streamlite topic alter-config orders --set retention.ms=86400000
  streamlite topic alter-config orders --delete retention.ms`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var alters []kadm.AlterConfig
			for _, kv := range sets {
				k, v, err := clientflags.ParseKeyValue("--set", kv)
				if err != nil {
					return err
				}
				alters = append(alters, kadm.AlterConfig{Op: kadm.SetConfig, Name: k, Value: kadm.StringPtr(v)})
			}
			for _, k := range deletes {
				alters = append(alters, kadm.AlterConfig{Op: kadm.DeleteConfig, Name: k})
			}
			if len(alters) == 0 {
				return errors.New("nothing to alter: give --set key=value or --delete key")
			}
			adm, err := cf.NewAdmin()
			if err != nil {
				return err
			}
			defer adm.Close()

			alter := adm.AlterTopicConfigs
			if dryRun {
				alter = adm.ValidateAlterTopicConfigs
			}
			resps, err := alter(cmd.Context(), alters, args...)
			if err != nil {
				return fmt.Errorf("altering topic configs: %w", err)
			}
			out := cmd.OutOrStdout()
			var firstErr error
			for _, name := range args {
				r, err := resps.On(name, nil)
				if err == nil && r.Err != nil {
					err = clientflags.BrokerError(r.Err, r.ErrMessage)
				}
				if err != nil {
					fmt.Fprintf(out, "%s: %s\n", name, err)
					if firstErr == nil {
						firstErr = fmt.Errorf("altering configs of %s: %w", name, err)
					}
					continue
				}
				verb := "altered"
				if dryRun {
					verb = "validated"
				}
				fmt.Fprintf(out, "%s configs of %s\n", verb, name)
			}
			return firstErr
		},
	}
	f := cmd.Flags()
	f.StringArrayVarP(&sets, "set", "s", nil, "set a config key=value, Kafka's names (repeatable)")
	f.StringArrayVarP(&deletes, "delete", "d", nil, "delete a config key, reverting it to the default (repeatable)")
	f.BoolVar(&dryRun, "dry-run", false, "validate only, change nothing")
	return cmd
}
