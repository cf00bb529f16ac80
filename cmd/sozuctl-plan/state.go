package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"

	"github.com/sozuctl-plan/sozuctl-plan/internal/atomicfile"
	"github.com/spf13/cobra"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/sozuctl-plan/sozuctl-plan/live"
	"github.com/sozuctl-plan/sozuctl-plan/planner"
	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/sozu"
	"github.com/sozuctl-plan/sozuctl-plan/state"
	"github.com/sozuctl-plan/sozuctl-plan/statefile"
)

func init() { registerCommand(newStateCommand) }

// sensitiveText replaces every private key in `state show`.
const sensitiveText = "(sensitive)"

func newStateCommand(g *globalOptions) *cobra.Command {
	group := &cobra.Command{
		Use:   "state",
		Short: "Save, list and show the objects of a Sōzu state",
		Long: `Work with the state of a Sōzu proxy: "state pull" saves the live state into a
Sōzu state file; "state list" and "state show" read the base (--state FILE,
else the live proxy at --socket or $SOZU_SOCKET) and print its objects by
their plan addresses.`,
		Example: `  sozuctl-plan state pull --socket /run/sozu/sozu.sock --out sozu.state
  sozuctl-plan state list --state sozu.state
  sozuctl-plan state show --state sozu.state cluster.api`,
		Args: cobra.ArbitraryArgs,
		RunE: runGroup,
	}
	group.AddCommand(newStatePullCommand(g), newStateListCommand(g), newStateShowCommand(g))
	return group
}

func newStatePullCommand(g *globalOptions) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "pull --out FILE",
		Short: "Save the live proxy's state into a Sōzu state file",
		Long: `Ask the live proxy (--socket or $SOZU_SOCKET) to save its state, and write it
to FILE in Sōzu's own state-file format, atomically and with mode 0600 (the
file holds private keys). Sōzu writes the state into --checkpoint-dir (default:
the socket's directory) first, so Sōzu and this tool must share it.`,
		Example: "  sozuctl-plan state pull --socket /run/sozu/sozu.sock --out sozu.state",
		Args:    positionals(0, 0, ""),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := g.requireFormat(cmd, formatHuman); err != nil {
				return err
			}
			if out == "" {
				return usageErrorf(cmd, "state pull needs --out FILE")
			}
			if g.Socket == "" {
				return usageErrorf(cmd, "state pull needs --socket PATH (or $SOZU_SOCKET)")
			}
			return statePull(cmd.Context(), g, out)
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "write the state file to `FILE`")
	return cmd
}

// statePull saves the live state through save_state and moves the file
// Sōzu wrote to out.
func statePull(ctx context.Context, g *globalOptions, out string) error {
	c, err := sozu.Dial(ctx, g.Socket, sozu.WithTimeout(g.Timeout))
	if err != nil {
		return fmt.Errorf("reading the live configuration: %w", err)
	}
	defer c.Close()
	dir, err := checkpointDir(g, g.Socket)
	if err != nil {
		return err
	}
	st, kept, err := live.ReadSaveStateKeep(ctx, c, dir)
	if err != nil {
		return fmt.Errorf("saving the live state of %s: %w", g.Socket, err)
	}
	defer os.Remove(kept)
	data, err := os.ReadFile(kept)
	if err != nil {
		return fmt.Errorf("reading the state Sōzu saved: %w", err)
	}
	if err := atomicfile.WriteBytes(out, data, statefile.FileMode); err != nil {
		return err
	}
	fmt.Fprintf(g.Stdout, "Saved %d objects from %s to %s.\n", st.Len(), g.Socket, out)
	return nil
}

// readBase reads the base of state list and show: --state, else the live
// proxy (read as --live-read says; its notes go to stderr).
func readBase(ctx context.Context, cmd *cobra.Command, g *globalOptions, liveRead string) (*state.State, error) {
	if err := checkLiveRead(cmd, liveRead); err != nil {
		return nil, err
	}
	switch {
	case g.State != "":
		st, err := statefile.Read(g.State)
		if err != nil {
			return nil, fmt.Errorf("reading the state file: %w", err)
		}
		return st, nil
	case g.Socket != "":
		st, notes, err := readLiveState(ctx, g, liveRead)
		for _, n := range notes {
			fmt.Fprintf(g.Stderr, "Warning: %s\n", n)
		}
		return st, err
	}
	return nil, usageErrorf(cmd, "%s needs --state FILE or --socket PATH (or $SOZU_SOCKET)", cmd.CommandPath())
}

// addressed is one object of a state with its plan address.
type addressed struct {
	address string
	obj     state.Object
}

// addressedObjects lists the objects of st by plan address.
func addressedObjects(st *state.State) []addressed {
	objs := st.Objects()
	out := make([]addressed, len(objs))
	for i, o := range objs {
		out[i] = addressed{planner.DerivedAddress(o.Kind, o.Key, o.Message), o}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].address < out[j].address })
	return out
}

func newStateListCommand(g *globalOptions) *cobra.Command {
	var liveRead string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the objects of the base by plan address",
		Long: `Print one line per object of the base (--state FILE, else the live proxy),
its plan address, in address order. --format json prints a JSON array of
{"address", "kind", "key"} objects.`,
		Example: "  sozuctl-plan state list --state sozu.state",
		Args:    positionals(0, 0, ""),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := g.requireFormat(cmd, formatHuman, formatJSON); err != nil {
				return err
			}
			st, err := readBase(cmd.Context(), cmd, g, liveRead)
			if err != nil {
				return err
			}
			objs := addressedObjects(st)
			if g.Format == formatJSON {
				type entry struct {
					Address string `json:"address"`
					Kind    string `json:"kind"`
					Key     string `json:"key"`
				}
				list := make([]entry, len(objs))
				for i, o := range objs {
					list[i] = entry{o.address, o.obj.Kind.String(), o.obj.Key}
				}
				return writeJSON(g, list)
			}
			for _, o := range objs {
				fmt.Fprintln(g.Stdout, o.address)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&liveRead, "live-read", liveReadSaveState, "how to read the live proxy: save-state or queries")
	return cmd
}

func newStateShowCommand(g *globalOptions) *cobra.Command {
	var liveRead string
	cmd := &cobra.Command{
		Use:   "show ADDRESS",
		Short: "Show one object of the base",
		Long: `Print the object of the base (--state FILE, else the live proxy) at the plan
address ADDRESS, as "state list" names it, with every field Sōzu records
(proto field names, enums by name); private keys show as (sensitive).`,
		Example: `  sozuctl-plan state show --state sozu.state 'listener.http["0.0.0.0:80"]'`,
		Args:    positionals(1, 1, "an object ADDRESS, such as cluster.api (state list names them)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := g.requireFormat(cmd, formatHuman, formatJSON); err != nil {
				return err
			}
			st, err := readBase(cmd.Context(), cmd, g, liveRead)
			if err != nil {
				return err
			}
			for _, o := range addressedObjects(st) {
				if o.address != args[0] {
					continue
				}
				doc, err := objectDocument(o.obj.Message)
				if err != nil {
					return err
				}
				if g.Format == formatJSON {
					return writeJSON(g, map[string]any{"address": o.address, "kind": o.obj.Kind.String(), "key": o.obj.Key, "values": doc})
				}
				fmt.Fprintf(g.Stdout, "# %s (%s)\n", o.address, o.obj.Kind)
				return writeJSON(g, doc)
			}
			return fmt.Errorf("no object at %s in the base (state list names them)", args[0])
		},
	}
	cmd.Flags().StringVar(&liveRead, "live-read", liveReadSaveState, "how to read the live proxy: save-state or queries")
	return cmd
}

// objectDocument is msg as a JSON object with proto field names, enums by
// name, and every private key replaced by sensitiveText.
func objectDocument(msg proto.Message) (map[string]any, error) {
	b, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(msg)
	if err != nil {
		return nil, fmt.Errorf("encoding the object: %w", err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("encoding the object: %w", err)
	}
	redactKeys(doc)
	// Socket addresses read as Sōzu writes them ("0.0.0.0:80").
	m := msg.ProtoReflect()
	fields := m.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		if a, ok := m.Get(fd).Interface().(protoreflect.Message); ok && m.Has(fd) && !fd.IsList() && !fd.IsMap() {
			if sa, ok := a.Interface().(*sozupb.SocketAddress); ok {
				doc[string(fd.Name())] = state.FormatAddress(sa)
			}
		}
	}
	return doc, nil
}

// redactKeys replaces the private keys of an object: the "key" of an
// HTTPS listener and the "key" of a certificate's certificate_and_key.
// Header names and tags called "key" are not keys and stay.
func redactKeys(doc map[string]any) {
	if _, ok := doc["key"]; ok {
		doc["key"] = sensitiveText
	}
	if c, ok := doc["certificate"].(map[string]any); ok {
		if _, ok := c["key"]; ok {
			c["key"] = sensitiveText
		}
	}
}

// writeJSON prints v as indented JSON with sorted keys and no HTML escaping.
func writeJSON(g *globalOptions, v any) error {
	enc := json.NewEncoder(g.Stdout)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
