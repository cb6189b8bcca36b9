package group

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/streamlite/streamlite/cmd/streamlite/internal/clientflags"
)

func newDeleteCommand(cf *clientflags.Flags) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "delete GROUP...",
		Aliases: []string{"rm"},
		Short:   "Delete groups and their committed offsets",
		Long: `Delete groups and their committed offsets (DeleteGroups). The broker
refuses a group that still has members with NON_EMPTY_GROUP: stop its
consumers first. Each group is reported on its own line, in the order given.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := newClient(cf)
			if err != nil {
				return err
			}
			defer c.close()

			resps, err := c.adm.DeleteGroups(cmd.Context(), args...)
			if err != nil {
				return fmt.Errorf("deleting groups: %w", err)
			}
			out := cmd.OutOrStdout()
			var errs []error
			for _, name := range args {
				r, ok := resps[name]
				if !ok {
					r = kadm.DeleteGroupResponse{Group: name, Err: errors.New("not in the response")}
				}
				if r.Err != nil {
					e := clientflags.BrokerError(r.Err, r.ErrMessage)
					fmt.Fprintf(out, "%s: %s\n", name, e)
					errs = append(errs, fmt.Errorf("deleting group %s: %w", name, e))
					continue
				}
				fmt.Fprintf(out, "deleted group %s\n", name)
			}
			return errors.Join(errs...)
		},
	}
	return cmd
}
