// Package planner computes plans: given a base state.State and a desired
// one, the changes (one per object: create, update, replace, delete) and
// the ordered Sōzu requests that carry them out without breaking live
// traffic, following the rules of Sōzu 2.1.0's main process and of its
// workers (SPEC §4; docs/planning.md gives each ordering rule and why).
//
// It owns the scope of a plan (managed kinds, ignored clusters, targets,
// forced replacements, destroy), the plan addresses of objects the
// configuration does not name, and the mass-removal counts. A Plan is a
// value: the package never prints, formats, reads files or talks to Sōzu.
package planner
