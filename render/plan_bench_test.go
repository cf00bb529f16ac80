package render

import (
	"io"
	"testing"
)

// The plan of 60,000 created backends (SPEC §8's size), in every view.

func BenchmarkPlanDocument60k(b *testing.B) {
	p := bigPlan(b, 60000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NewPlanDocument(p, PlanOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func benchView(b *testing.B, write func(io.Writer, *PlanDocument) error) {
	doc, err := NewPlanDocument(bigPlan(b, 60000), PlanOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := write(io.Discard, doc); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPlanJSON60k(b *testing.B) { benchView(b, WritePlanJSON) }

func BenchmarkPlanHuman60k(b *testing.B) {
	benchView(b, func(w io.Writer, d *PlanDocument) error { return WritePlanHuman(w, d, HumanOptions{}) })
}

func BenchmarkPlanMarkdown60k(b *testing.B) { benchView(b, WritePlanMarkdown) }
