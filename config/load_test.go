package config

import (
	"fmt"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/sozuctl-plan/sozuctl-plan/internal/golden"
)

func TestSpecExample(t *testing.T) {
	cfg := mustLoad(t, filepath.Join("testdata", "spec-example"), Options{})
	golden.Check(t, filepath.Join("testdata", "spec-example.golden.json"), requestsJSON(t, cfg.Requests))
	golden.Check(t, filepath.Join("testdata", "spec-example.objects.txt"), objectsText(cfg))

	s := cfg.Sozu
	if s.Socket != "/run/sozu/sozu.sock" || !reflect.DeepEqual(s.IgnoreClusters, []string{"legacy-*"}) ||
		len(s.Manage) != 3 || s.MassRemovalThreshold != 30 || s.MassRemovalMinimum != 10 {
		t.Errorf("sozu settings = %+v", s)
	}
	if s.SocketRange.Start.Line != 2 {
		t.Errorf("socket range = %v, want line 2", s.SocketRange)
	}
	if got, want := cfg.Desired.Len(), 3+2+3+2+1+1; got != want {
		t.Errorf("desired state has %d objects, want %d", got, want)
	}
	// Every declared object is an object of the desired state, by the same
	// identity, and the other way round.
	stateObjs := cfg.Desired.Objects()
	if len(stateObjs) != len(cfg.Objects) {
		t.Errorf("state has %d objects, config declares %d", len(stateObjs), len(cfg.Objects))
	}
	for _, o := range stateObjs {
		if _, ok := cfg.Objects[ObjectID{Kind: o.Kind, Key: o.Key}]; !ok {
			t.Errorf("state object %s %q has no declared object", o.Kind, o.Key)
		}
	}
	if len(cfg.Files) != 1 {
		t.Errorf("Files has %d entries, want 1", len(cfg.Files))
	}
}

// objectsText lists the declared objects, one a line, sorted by address.
func objectsText(cfg *Config) []byte {
	var lines []string
	for _, o := range cfg.Objects {
		line := fmt.Sprintf("%s\t%s\t%s\t%s:%d:%d", o.Address, o.ID.Kind, o.ID.Key, filepath.Base(o.Range.Filename), o.Range.Start.Line, o.Range.Start.Column)
		if len(o.Sensitive) > 0 {
			line += "\tsensitive=" + strings.Join(o.Sensitive, ",")
		}
		if o.WantActive {
			line += "\tactive"
		}
		if src, ok := cfg.Sensitive.Keys[o.ID]; ok {
			line += "\tkey=" + filepath.Base(src.File) + "@" + src.SHA256[:12]
		}
		lines = append(lines, line)
	}
	sort.Strings(lines)
	return []byte(strings.Join(lines, "\n") + "\n")
}
