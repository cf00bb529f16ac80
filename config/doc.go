// Package config reads a directory of HCL files into the desired Sōzu
// configuration: a state.State built by applying, to an empty state, the
// requests that would create every declared listener, cluster, backend,
// frontend and certificate.
//
// It owns the configuration language of SPEC §3: the block and attribute
// schema (derived from Sōzu's command.proto, so every field Sōzu records is
// reachable), variables and their precedence (default, SOZU_VAR_<name>,
// --var-file, --var), locals, references to listeners and clusters, dynamic
// blocks, the function library, defaults, and the positioned diagnostics of
// `validate`. It records where each object was declared and which values are
// sensitive, so that the planner and the renderers can name objects as the
// user wrote them and never print a secret.
//
// Load is the entry point. The package imports state and proto; the planner,
// the importer and the command line import it.
package config
