package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// WritePlanJSON writes doc as one indented JSON document followed by a
// newline (docs/plan-json.md). Identical documents give identical bytes:
// encoding/json writes the fields in declaration order and re-indents the
// embedded protobuf JSON, and HTML escaping is off.
func WritePlanJSON(w io.Writer, doc *PlanDocument) error {
	b, err := MarshalPlanJSON(doc)
	if err != nil {
		return err
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("writing the JSON plan: %w", err)
	}
	return nil
}

// MarshalPlanJSON returns what WritePlanJSON writes.
func MarshalPlanJSON(doc *PlanDocument) ([]byte, error) {
	if doc == nil {
		return nil, fmt.Errorf("encoding the JSON plan: no plan")
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("encoding the JSON plan: %w", err)
	}
	return buf.Bytes(), nil
}
