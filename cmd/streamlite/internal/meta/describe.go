package meta

import (
	"bytes"
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

func newDescribeCommand() *cobra.Command {
	var output string
	var addr *string
	cmd := &cobra.Command{
		Use:   "describe",
		Short: "Show the metadata log's indexes, last snapshot and size",
		Long: `Show what the broker says of its metadata log: its first and last
index, its last snapshot (index, time, size), the bytes written since, and
the state it holds, as an aligned list of fields in the broker's order.
Nested fields are named parent.child. -o json prints the broker's answer
as received.

It calls GET /v1/metadata on the broker's admin listener (--admin-addr,
default 127.0.0.1:9644).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output, "text", "json"); err != nil {
				return err
			}
			c, err := newAdminClient(*addr)
			if err != nil {
				return err
			}
			body, err := c.do(cmd.Context(), "GET", "/v1/metadata")
			if err != nil {
				return fmt.Errorf("describing the metadata log: %w", err)
			}
			if output == "json" {
				return writeLine(cmd.OutOrStdout(), body)
			}
			fields, err := flatten(body)
			if err != nil {
				return fmt.Errorf("describing the metadata log: %w", err)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			for _, f := range fields {
				fmt.Fprintf(tw, "%s\t%s\n", f.key, f.value)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output format: text or json")
	addr = addAdminAddr(cmd)
	return cmd
}

// field is one line of describe's text output.
type field struct{ key, value string }

// flatten lists the fields of the JSON object doc in their order, nested
// objects' fields under "parent.child" names, other values by scalarString.
// A document that is not an object is one field with an empty key.
func flatten(doc []byte) ([]field, error) {
	doc = bytes.TrimSpace(doc)
	if len(doc) == 0 || doc[0] != '{' {
		return []field{{"", scalarString(doc)}}, nil
	}
	var out []field
	if err := flattenObject(doc, "", &out); err != nil {
		return nil, fmt.Errorf("reading the answer: %w", err)
	}
	return out, nil
}

func flattenObject(obj []byte, prefix string, out *[]field) error {
	dec := json.NewDecoder(bytes.NewReader(obj))
	if _, err := dec.Token(); err != nil { // '{'
		return err
	}
	n := 0
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return err
		}
		n++
		if len(v) > 0 && v[0] == '{' {
			if err := flattenObject(v, prefix+key+".", out); err != nil {
				return err
			}
			continue
		}
		*out = append(*out, field{prefix + key, scalarString(v)})
	}
	if n == 0 && prefix != "" {
		*out = append(*out, field{prefix[:len(prefix)-1], "{}"})
	}
	return nil
}

// scalarString renders a JSON value for people: a string without quotes,
// null as "-", anything else as compact JSON.
func scalarString(v []byte) string {
	v = bytes.TrimSpace(v)
	switch {
	case len(v) == 0 || string(v) == "null":
		return "-"
	case v[0] == '"':
		var s string
		if json.Unmarshal(v, &s) == nil {
			return s
		}
	}
	var buf bytes.Buffer
	if json.Compact(&buf, v) == nil {
		return buf.String()
	}
	return string(v)
}
