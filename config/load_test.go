package config

import (
	"testing"
)

func TestSpecExample(t *testing.T) {
	cfg := mustLoad(t, "testdata/spec-example", Options{})
	golden(t, "spec-example.golden.json", requestsJSON(t, cfg.Requests))
}
