package main

import (
	"encoding/json"
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

func init() { registerCommand(newVersionCommand) }

// protocolVersion is the Sōzu release whose command.proto the tool speaks.
const protocolVersion = "2.1.0"

// protocolLine is the human sentence about the protocol spoken.
const protocolLine = "Sōzu command protocol " + protocolVersion + " (compatible with 1.x and 2.x servers)"

// versionInfo is the JSON document printed by "version --format json".
type versionInfo struct {
	Version           string   `json:"version"`
	Protocol          string   `json:"protocol"`
	CompatibleServers []string `json:"compatible_servers"`
}

// readBuildInfo is debug.ReadBuildInfo, replaceable in tests.
var readBuildInfo = debug.ReadBuildInfo

// buildVersion returns the module version the binary was built from, or
// "dev" for a build from a work tree.
func buildVersion() string {
	info, ok := readBuildInfo()
	if !ok || info == nil {
		return "dev"
	}
	switch v := info.Main.Version; v {
	case "", "(devel)":
		return "dev"
	default:
		return v
	}
}

// newVersionCommand builds "version".
func newVersionCommand(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version and the Sōzu protocol it speaks",
		Long: `Print the version of sozuctl-plan and the version of Sōzu's command
protocol it speaks. The protocol is Sōzu 2.1.0's, a wire-compatible superset
of the 1.x protocol, so both 1.x and 2.x servers are understood.`,
		Example: `  sozuctl-plan version
  sozuctl-plan version --format json`,
		Args: positionals(0, 0, ""),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := g.requireFormat(cmd, formatHuman, formatJSON); err != nil {
				return err
			}
			v := versionInfo{
				Version:           buildVersion(),
				Protocol:          protocolVersion,
				CompatibleServers: []string{"1.x", "2.x"},
			}
			if g.Format == formatJSON {
				out, err := json.MarshalIndent(v, "", "  ")
				if err != nil {
					return fmt.Errorf("encoding the version: %w", err)
				}
				_, err = fmt.Fprintf(g.Stdout, "%s\n", out)
				return err
			}
			_, err := fmt.Fprintf(g.Stdout, "sozuctl-plan %s\n%s\n", v.Version, protocolLine)
			return err
		},
	}
}
