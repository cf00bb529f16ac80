// Package config reads a directory of HCL files into the desired Sōzu
// configuration: a state.State built by applying, to an empty state, the
// requests that would create every declared listener, cluster, backend,
// frontend and certificate.
//
// It owns the configuration language of SPEC §3: the block and attribute
// schema, variables and their precedence (default, SOZU_VAR_<name>,
// --var-file, --var), locals, references to listeners and clusters, dynamic
// blocks, the function library, defaults, and the positioned diagnostics of
// `validate`. It records where each object was declared and which values are
// sensitive, so that the planner and the renderers can name objects as the
// user wrote them and never print a secret. Load is the entry point; Format
// rewrites files in canonical form.
//
// # Schema
//
// The attributes and nested blocks of listeners, clusters, backends,
// frontends and certificates are derived from the descriptors of Sōzu's
// command.proto messages, so every field Sōzu records is reachable under its
// proto name: scalar, list and map fields are attributes, message fields are
// blocks (health_check, udp with its health, hsts, http_answers, and header
// for RequestHttpFrontend.headers). The shorthands are: a block label for
// cluster_id and backend_id; weight for load_balancing_parameters.weight;
// path_prefix, path_regex or path_equals for the path rule (at most one; none
// is the prefix "", which matches every path, as in Sōzu's own loader);
// listener = listener.<protocol>.<name> for an address on frontends and
// certificates. Enum values are the proto's value names; Sōzu's config.toml
// spellings are accepted too (any case, '-' for '_', TLS_V12 for TLS_V1_2,
// TLSv1 for TLS_V1_0).
//
// # Dynamic blocks
//
// Dynamic blocks are expanded directly against the schema of the block that
// holds them, each iteration bound to its iterator; blocks that are not
// plainly well-formed are left to HCL's ext/dynblock, so that both give the
// same blocks and diagnostics. Listeners are read first, then clusters,
// then top-level frontends and certificates: a dynamic listener block
// cannot iterate over listeners or clusters, nor a dynamic cluster block
// over clusters, and both are reported as errors.
//
// # Defaults
//
// A listener starts from state.NewHTTPListener (and its siblings), the
// values of Sōzu's TOML loader, and is wanted active unless `active =
// false`; it is added inactive and activated after everything else. Unset
// required fields take the proto's declared default (a frontend's position
// is TREE). A backend without weight gets 100, as in Sōzu's loader. A
// certificate without names gets the names Sōzu derives from it, sent
// explicitly.
//
// # Addresses
//
// Object.Address names an object as the user wrote it: listener.https.tls,
// cluster.api, cluster.api.backend.api-1,
// cluster.api.http_frontend["0.0.0.0:80;api.example.com;P/"] (a frontend is
// named by its route key, a TCP or UDP frontend by its listener address,
// so an address survives reordering), http_frontend["..."] for a frontend
// outside any cluster, certificate.api.
//
// The package imports state and proto; the planner, the importer and the
// command line import it.
package config
