package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func init() { registerCommand(newCompletionCommand) }

// newCompletionCommand builds "completion bash|zsh|fish".
func newCompletionCommand(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "completion bash|zsh|fish",
		Short: "Print a shell completion script",
		Long: `Print a completion script for bash, zsh or fish on stdout.

Load it in the current shell, or install it where your shell looks for
completions:

  bash:  source <(sozuctl-plan completion bash)
         sozuctl-plan completion bash > /etc/bash_completion.d/sozuctl-plan
  zsh:   sozuctl-plan completion zsh > "${fpath[1]}/_sozuctl-plan"
  fish:  sozuctl-plan completion fish > ~/.config/fish/completions/sozuctl-plan.fish`,
		Example: `  sozuctl-plan completion bash > /etc/bash_completion.d/sozuctl-plan
  source <(sozuctl-plan completion bash)`,
		ValidArgs: []string{"bash", "zsh", "fish"},
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return fmt.Errorf("completion needs exactly one shell: bash, zsh or fish")
			}
			switch args[0] {
			case "bash", "zsh", "fish":
				return nil
			}
			return fmt.Errorf("unsupported shell %q (use bash, zsh or fish)", args[0])
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := g.requireFormat(cmd, formatHuman); err != nil {
				return err
			}
			root := cmd.Root()
			var err error
			switch args[0] {
			case "bash":
				err = root.GenBashCompletionV2(g.Stdout, true)
			case "zsh":
				err = root.GenZshCompletion(g.Stdout)
			case "fish":
				err = root.GenFishCompletion(g.Stdout, true)
			}
			if err != nil {
				return fmt.Errorf("writing the %s completion script: %w", args[0], err)
			}
			return nil
		},
	}
}
