package schema

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/sr"
)

func newRegisterCommand(f *flags) *cobra.Command {
	var (
		file, typ string
		refs      []string
	)
	cmd := &cobra.Command{
		Use:   "register SUBJECT --file FILE",
		Short: "Register a schema under a subject",
		Long: `Register the schema in --file (- for standard input) under SUBJECT and
print its ID and version: "id 1 (version 1 of orders-value)". Registering
a schema the subject already has returns its existing ID and version.
--type is AVRO (the default), JSON or PROTOBUF; --ref name=subject:version
declares a reference (repeatable).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			subject := args[0]
			st, err := parseType(typ)
			if err != nil {
				return err
			}
			s := sr.Schema{Type: st}
			for _, r := range refs {
				ref, err := parseRef(r)
				if err != nil {
					return err
				}
				s.References = append(s.References, ref)
			}
			if s.Schema, err = readSchema(cmd, file); err != nil {
				return err
			}
			cl, err := f.client()
			if err != nil {
				return err
			}
			ss, err := cl.CreateSchema(cmd.Context(), subject, s)
			if err != nil {
				return registryError("registering schema under "+subject, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "id %d (version %d of %s)\n", ss.ID, ss.Version, subject)
			return nil
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "schema file, or - for standard input")
	cmd.Flags().StringVarP(&typ, "type", "t", "AVRO", "schema type: AVRO, JSON or PROTOBUF")
	cmd.Flags().StringArrayVar(&refs, "ref", nil, "reference name=subject:version (repeatable)")
	return cmd
}

func newGetCommand(f *flags) *cobra.Command {
	var (
		version, output string
		id              int
	)
	cmd := &cobra.Command{
		Use:   "get SUBJECT [--version N|latest] | get --id N",
		Short: "Print a schema by subject and version, or by ID",
		Long: `Print a schema: SUBJECT's --version (default latest), or the schema
with --id. The schema text follows a header of subject, version, ID and
type; -o raw prints the schema text alone, -o json the registry's object.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output, "text", "raw", "json"); err != nil {
				return err
			}
			byID := cmd.Flags().Changed("id")
			switch {
			case byID && len(args) > 0:
				return errors.New("give SUBJECT or --id, not both")
			case byID && cmd.Flags().Changed("version"):
				return errors.New("--version needs SUBJECT, not --id")
			case !byID && len(args) == 0:
				return errors.New("give SUBJECT or --id")
			case byID && id <= 0:
				return fmt.Errorf("invalid --id %d: must be positive", id)
			}
			v, err := parseVersion(version)
			if err != nil {
				return err
			}
			cl, err := f.client()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			var ss sr.SubjectSchema
			var usages []sr.SubjectVersion
			if byID {
				s, err := cl.SchemaByID(ctx, id)
				if err != nil {
					return registryError(fmt.Sprintf("getting schema id %d", id), err)
				}
				ss = sr.SubjectSchema{ID: id, Schema: s}
				if output != "raw" {
					usages, _ = cl.SchemaVersionsByID(ctx, id) // the header only
				}
			} else {
				ss, err = cl.SchemaByVersion(ctx, args[0], v)
				if err != nil {
					return registryError(fmt.Sprintf("getting version %s of %s", versionString(v), args[0]), err)
				}
			}
			w := cmd.OutOrStdout()
			switch output {
			case "raw":
				_, err := fmt.Fprintln(w, ss.Schema.Schema)
				return err
			case "json":
				return writeJSON(w, ss)
			}
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			if byID {
				var used []string
				for _, u := range usages {
					used = append(used, fmt.Sprintf("%s version %d", u.Subject, u.Version))
				}
				if len(used) == 0 {
					used = []string{"-"}
				}
				fmt.Fprintf(tw, "ID:\t%d\nSUBJECTS:\t%s\n", ss.ID, strings.Join(used, ", "))
			} else {
				fmt.Fprintf(tw, "SUBJECT:\t%s\nVERSION:\t%d\nID:\t%d\n", ss.Subject, ss.Version, ss.ID)
			}
			fmt.Fprintf(tw, "TYPE:\t%s\n", ss.Type)
			for _, r := range ss.References {
				fmt.Fprintf(tw, "REFERENCE:\t%s = %s version %d\n", r.Name, r.Subject, r.Version)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			_, err = fmt.Fprintf(w, "\n%s\n", ss.Schema.Schema)
			return err
		},
	}
	cmd.Flags().StringVar(&version, "version", "latest", "version: a number or latest")
	cmd.Flags().IntVar(&id, "id", 0, "schema ID (instead of SUBJECT)")
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text, raw (schema only) or json")
	return cmd
}

func newListCommand(f *flags) *cobra.Command {
	var (
		prefix, output string
		deleted        bool
	)
	cmd := &cobra.Command{
		Use:     "list [SUBJECT]",
		Aliases: []string{"ls"},
		Short:   "List subjects, or the versions of a subject",
		Long: `Without SUBJECT, list the registry's subjects, sorted (--prefix keeps
those starting with a prefix). With SUBJECT, list its versions: VERSION,
ID and TYPE. --deleted includes soft-deleted subjects or versions.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output, "table", "json"); err != nil {
				return err
			}
			cl, err := f.client()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			if deleted {
				ctx = sr.WithParams(ctx, sr.ShowDeleted)
			}
			w := cmd.OutOrStdout()
			if len(args) == 0 {
				if prefix != "" {
					ctx = sr.WithParams(ctx, sr.SubjectPrefix(prefix))
				}
				subjects, err := cl.Subjects(ctx)
				if err != nil {
					return registryError("listing subjects", err)
				}
				kept := subjects[:0]
				for _, s := range subjects {
					if strings.HasPrefix(s, prefix) { // again, for registries that ignore the prefix
						kept = append(kept, s)
					}
				}
				sort.Strings(kept)
				if output == "json" {
					if kept == nil {
						kept = []string{}
					}
					return writeJSON(w, kept)
				}
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "SUBJECT")
				for _, s := range kept {
					fmt.Fprintln(tw, s)
				}
				return tw.Flush()
			}
			if prefix != "" {
				return errors.New("--prefix lists subjects: it does not go with SUBJECT")
			}
			subject := args[0]
			versions, err := cl.SubjectVersions(ctx, subject)
			if err != nil {
				return registryError("listing versions of "+subject, err)
			}
			sort.Ints(versions)
			schemas := make([]sr.SubjectSchema, 0, len(versions))
			for _, v := range versions {
				ss, err := cl.SchemaByVersion(ctx, subject, v)
				if err != nil {
					return registryError(fmt.Sprintf("getting version %d of %s", v, subject), err)
				}
				schemas = append(schemas, ss)
			}
			if output == "json" {
				return writeJSON(w, schemas)
			}
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "VERSION\tID\tTYPE")
			for _, ss := range schemas {
				fmt.Fprintf(tw, "%d\t%d\t%s\n", ss.Version, ss.ID, ss.Type)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&prefix, "prefix", "", "keep only subjects starting with this prefix")
	cmd.Flags().BoolVar(&deleted, "deleted", false, "include soft-deleted subjects or versions")
	cmd.Flags().StringVarP(&output, "output", "o", "table", "output format: table or json")
	return cmd
}

// ErrIncompatible is returned by `schema check` when the schema is not
// compatible, after the registry's messages are printed.
var ErrIncompatible = errors.New("schema is incompatible")

func newCheckCommand(f *flags) *cobra.Command {
	var (
		file, typ, version string
		refs               []string
	)
	cmd := &cobra.Command{
		Use:   "check SUBJECT --file FILE",
		Short: "Check whether a schema is compatible with a subject's version",
		Long: `Check the schema in --file (- for standard input) against SUBJECT's
--version (default latest) under the subject's compatibility level. Prints
"compatible", or "incompatible:" and the registry's reasons, and then exits
with status 1.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			subject := args[0]
			v, err := parseVersion(version)
			if err != nil {
				return err
			}
			st, err := parseType(typ)
			if err != nil {
				return err
			}
			s := sr.Schema{Type: st}
			for _, r := range refs {
				ref, err := parseRef(r)
				if err != nil {
					return err
				}
				s.References = append(s.References, ref)
			}
			if s.Schema, err = readSchema(cmd, file); err != nil {
				return err
			}
			cl, err := f.client()
			if err != nil {
				return err
			}
			ctx := sr.WithParams(cmd.Context(), sr.Verbose)
			res, err := cl.CheckCompatibility(ctx, subject, v, s)
			if err != nil {
				return registryError(fmt.Sprintf("checking against version %s of %s", versionString(v), subject), err)
			}
			w := cmd.OutOrStdout()
			if res.Is {
				fmt.Fprintln(w, "compatible")
				return nil
			}
			fmt.Fprintln(w, "incompatible:")
			for _, m := range res.Messages {
				fmt.Fprintf(w, "  %s\n", m)
			}
			return fmt.Errorf("%w with version %s of %s", ErrIncompatible, versionString(v), subject)
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "schema file, or - for standard input")
	cmd.Flags().StringVarP(&typ, "type", "t", "AVRO", "schema type: AVRO, JSON or PROTOBUF")
	cmd.Flags().StringArrayVar(&refs, "ref", nil, "reference name=subject:version (repeatable)")
	cmd.Flags().StringVar(&version, "version", "latest", "version to check against: a number or latest")
	return cmd
}

func newDeleteCommand(f *flags) *cobra.Command {
	var (
		version   string
		permanent bool
	)
	cmd := &cobra.Command{
		Use:   "delete SUBJECT [--version N|latest] [--permanent]",
		Short: "Delete a subject or one of its versions",
		Long: `Delete SUBJECT (all its versions), or its --version. Deletion is soft
(list --deleted still shows it) unless --permanent, which only applies to
what is already soft-deleted.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			subject := args[0]
			how, word := sr.SoftDelete, "deleted"
			if permanent {
				how, word = sr.HardDelete, "permanently deleted"
			}
			cl, err := f.client()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			w := cmd.OutOrStdout()
			if cmd.Flags().Changed("version") {
				v, err := parseVersion(version)
				if err != nil {
					return err
				}
				if err := cl.DeleteSchema(ctx, subject, v, how); err != nil {
					return registryError(fmt.Sprintf("deleting version %s of %s", versionString(v), subject), err)
				}
				fmt.Fprintf(w, "%s version %s of %s\n", word, versionString(v), subject)
				return nil
			}
			versions, err := cl.DeleteSubject(ctx, subject, how)
			if err != nil {
				return registryError("deleting "+subject, err)
			}
			vs := make([]string, len(versions))
			for i, v := range versions {
				vs[i] = strconv.Itoa(v)
			}
			fmt.Fprintf(w, "%s %s (versions %s)\n", word, subject, strings.Join(vs, ", "))
			return nil
		},
	}
	cmd.Flags().StringVar(&version, "version", "", "delete only this version: a number or latest")
	cmd.Flags().BoolVar(&permanent, "permanent", false, "delete permanently (after a soft delete)")
	return cmd
}

func newConfigCommand(f *flags) *cobra.Command {
	var set string
	cmd := &cobra.Command{
		Use:   "config [SUBJECT] [--set LEVEL]",
		Short: "Show or set the compatibility level, global or of a subject",
		Long: `Show the compatibility level of SUBJECT (its own, or the global one it
falls back to), or the global level without SUBJECT. --set LEVEL sets it:
NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL or
FULL_TRANSITIVE.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			subject, name := sr.GlobalSubject, "global"
			if len(args) == 1 {
				subject, name = args[0], args[0]
			}
			cl, err := f.client()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			w := cmd.OutOrStdout()
			if cmd.Flags().Changed("set") {
				lvl, err := parseLevel(set)
				if err != nil {
					return err
				}
				res := cl.SetCompatibility(ctx, sr.SetCompatibility{Level: lvl}, subject)[0]
				if res.Err != nil {
					return registryError("setting the compatibility of "+name, res.Err)
				}
				fmt.Fprintf(w, "compatibility of %s set to %s\n", name, res.Level)
				return nil
			}
			res := cl.Compatibility(sr.WithParams(ctx, sr.DefaultToGlobal), subject)[0]
			if res.Err != nil {
				return registryError("getting the compatibility of "+name, res.Err)
			}
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "SUBJECT\tCOMPATIBILITY")
			fmt.Fprintf(tw, "%s\t%s\n", name, res.Level)
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&set, "set", "", "set the compatibility level")
	return cmd
}
