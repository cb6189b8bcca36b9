package topic

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/streamlite/streamlite/cmd/streamlite/internal/clientflags"
)

func newDeleteCommand(cf *clientflags.Flags) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "delete NAME...",
		Aliases: []string{"rm"},
		Short:   "Delete topics",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			adm, err := cf.NewAdmin()
			if err != nil {
				return err
			}
			defer adm.Close()

			resps, err := adm.DeleteTopics(cmd.Context(), args...)
			if err != nil {
				return fmt.Errorf("deleting topics: %w", err)
			}
			out := cmd.OutOrStdout()
			var firstErr error
			for _, name := range args {
				r, ok := resps[name]
				if !ok {
					r = kadm.DeleteTopicResponse{Topic: name, Err: errors.New("not in the response")}
				}
				if r.Err != nil {
					e := clientflags.BrokerError(r.Err, r.ErrMessage)
					fmt.Fprintf(out, "%s: %s\n", r.Topic, e)
					if firstErr == nil {
						firstErr = fmt.Errorf("deleting topic %s: %w", r.Topic, e)
					}
					continue
				}
				fmt.Fprintf(out, "deleted topic %s\n", r.Topic)
			}
			return firstErr
		},
	}
	return cmd
}
