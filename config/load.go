package config

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/dynblock"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"

	"github.com/sozuctl-plan/sozuctl-plan/state"
)

// Top-level block types.
const (
	blockSozu        = "sozu"
	blockVariable    = "variable"
	blockLocals      = "locals"
	blockListener    = "listener"
	blockCluster     = "cluster"
	blockHTTPFront   = "http_frontend"
	blockHTTPSFront  = "https_frontend"
	blockTCPFront    = "tcp_frontend"
	blockUDPFront    = "udp_frontend"
	blockBackend     = "backend"
	blockCertificate = "certificate"
	blockDynamic     = "dynamic"
)

var rootSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
	{Type: blockSozu},
	{Type: blockVariable, LabelNames: []string{"name"}},
	{Type: blockLocals},
	{Type: blockListener, LabelNames: []string{"protocol", "name"}},
	{Type: blockCluster, LabelNames: []string{"cluster_id"}},
	{Type: blockHTTPFront},
	{Type: blockHTTPSFront},
	{Type: blockCertificate, LabelNames: []string{"name"}},
	{Type: blockDynamic, LabelNames: []string{"type"}},
}}

// dynamicRoot lists the top-level block types a dynamic block may generate.
var dynamicRoot = []string{blockListener, blockCluster, blockHTTPFront, blockHTTPSFront, blockCertificate}

var listenerPassSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
	{Type: blockListener, LabelNames: []string{"protocol", "name"}},
}}

var clusterPassSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
	{Type: blockCluster, LabelNames: []string{"cluster_id"}},
}}

// The blocks of the last pass see listener.*, cluster.* and every local.
var objectPassSchema = &hcl.BodySchema{Blocks: []hcl.BlockHeaderSchema{
	{Type: blockHTTPFront},
	{Type: blockHTTPSFront},
	{Type: blockCertificate, LabelNames: []string{"name"}},
}}

var sozuSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "socket"}, {Name: "manage"}, {Name: "ignore_clusters"},
	{Name: "mass_removal_threshold"}, {Name: "mass_removal_minimum"},
}}

// Load reads every *.hcl file of dir as one configuration and builds the
// desired state. It collects every problem it finds rather than stopping at
// the first; the Config is nil only when no file could be read. Even with
// errors the returned Config holds what could be decoded.
func Load(dir string, opts Options) (*Config, hcl.Diagnostics) {
	defer tightGC()()
	cfg := &Config{
		Dir:     dir,
		Desired: state.New(),
		Objects: map[ObjectID]*Object{},
		Files:   map[string][]byte{},
		Sensitive: Sensitivity{
			Variables: map[string]bool{},
			Keys:      map[ObjectID]KeySource{},
		},
		Sozu: Settings{
			Manage:               []string{ManageListeners, ManageClusters, ManageCertificates},
			MassRemovalThreshold: DefaultMassRemovalThreshold,
			MassRemovalMinimum:   DefaultMassRemovalMinimum,
		},
	}
	paths, err := filepath.Glob(filepath.Join(dir, "*.hcl"))
	if err != nil {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Cannot list configuration files", Detail: err.Error()}}
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		detail := fmt.Sprintf("%s is not a directory.", dir)
		if err != nil {
			detail = fmt.Sprintf("Cannot read %s: %s.", dir, unwrapPathError(err))
		}
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "No configuration directory", Detail: detail}}
	}
	sort.Strings(paths)
	var files []*hcl.File
	var diags hcl.Diagnostics
	for _, r := range parseFiles(paths) {
		if r.err != nil {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot read configuration file", Detail: fmt.Sprintf("Reading %s: %s.", r.path, unwrapPathError(r.err))})
			continue
		}
		cfg.Files[r.path] = r.src
		diags = append(diags, r.diags...)
		if r.file != nil && r.file.Body != nil {
			files = append(files, r.file)
		}
	}
	if len(paths) == 0 {
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "No configuration files",
			Detail: fmt.Sprintf("The directory %s contains no .hcl file.", dir),
		})
		return cfg, diags
	}
	if diags.HasErrors() {
		return cfg, dedupe(diags)
	}
	absDir, err := filepath.Abs(dir)
	if err != nil {
		absDir = dir
	}
	ld := newLoader(cfg, absDir, opts)
	ld.diags = diags
	ld.ev.errs = &ld.diags
	ld.run(files)
	return cfg, dedupe(ld.diags)
}

// loadGCPercent is the garbage collector's target while Load runs. Parsing
// a large configuration makes a lot of short-lived garbage (HCL's token
// arrays) while the syntax trees it keeps grow: with Go's default of 100
// the heap peaks at about twice what is live, and a lower target keeps the
// peak memory of loading close to that of parsing alone for a few percent
// more CPU time (docs/performance.md).
const loadGCPercent = 60

var gcMu sync.Mutex
var gcLoads int      // Load calls running
var gcSaved int = -1 // the target before the first of them

// tightGC lowers the garbage collector's target for the duration of a Load
// and returns the function that restores it once no Load runs. A target
// already lower (or GC turned off) is left alone.
func tightGC() func() {
	gcMu.Lock()
	defer gcMu.Unlock()
	if gcLoads == 0 {
		gcSaved = debug.SetGCPercent(loadGCPercent)
		if gcSaved >= 0 && gcSaved < loadGCPercent || gcSaved < 0 {
			debug.SetGCPercent(gcSaved)
		}
	}
	gcLoads++
	return func() {
		gcMu.Lock()
		defer gcMu.Unlock()
		gcLoads--
		if gcLoads == 0 {
			debug.SetGCPercent(gcSaved)
		}
	}
}

// parsed is one configuration file, read and parsed.
type parsed struct {
	path  string
	src   []byte
	file  *hcl.File
	diags hcl.Diagnostics
	err   error
}

// parseFiles reads and parses paths, several at a time when there are
// several files and several processors, and returns them in the order of
// paths.
func parseFiles(paths []string) []parsed {
	out := make([]parsed, len(paths))
	parse := func(i int) {
		r := &out[i]
		r.path = paths[i]
		r.src, r.err = os.ReadFile(r.path)
		if r.err == nil {
			r.file, r.diags = hclsyntax.ParseConfig(r.src, r.path, hcl.InitialPos)
		}
	}
	workers := min(runtime.GOMAXPROCS(0), len(paths))
	if workers <= 1 {
		for i := range paths {
			parse(i)
		}
		return out
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(paths) {
					return
				}
				parse(i)
			}
		}()
	}
	wg.Wait()
	return out
}

// dedupe drops repeated diagnostics: a structural error can be seen both by
// the first check of the whole body and when a block is decoded.
func dedupe(diags hcl.Diagnostics) hcl.Diagnostics {
	type key struct {
		sev             hcl.DiagnosticSeverity
		summary, detail string
		subject         hcl.Range
	}
	seen := make(map[key]bool, len(diags))
	out := diags[:0]
	for _, d := range diags {
		k := key{sev: d.Severity, summary: d.Summary, detail: d.Detail}
		if d.Subject != nil {
			k.subject = *d.Subject
		}
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, d)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// evaluator evaluates expressions in the configuration's scope.
type evaluator struct {
	ctx        *hcl.EvalContext
	vars       map[string]*variable
	varNames   []string
	localNames []string
	reads      *fileReads
	errs       *hcl.Diagnostics // the diagnostics so far
	marked     bool             // some value in scope carries a mark
}

// value evaluates expr and strips its marks; sens reports whether the value
// is sensitive (marked, or alwaysSensitive), in which case the attribute
// path is recorded on obj.
func (ev *evaluator) value(expr hcl.Expression, obj *Object, path string, alwaysSensitive bool) (cty.Value, bool, hcl.Diagnostics) {
	if v, ok := literal(expr); ok {
		// Most attributes of a large configuration are literals: skip
		// template evaluation, which rebuilds and renormalises the string.
		if alwaysSensitive && obj != nil {
			obj.Sensitive = append(obj.Sensitive, path)
		}
		return v, alwaysSensitive, nil
	}
	v, diags := expr.Value(ev.ctx)
	if diags.HasErrors() {
		if obj != nil {
			obj.failed = true
		}
		return cty.NilVal, false, ev.explain(expr, diags)
	}
	sens := alwaysSensitive
	if v.IsMarked() || (ev.marked && !v.Type().IsPrimitiveType() && v.ContainsMarked()) {
		var marks cty.ValueMarks
		v, marks = v.UnmarkDeep()
		if _, ok := marks[sensitiveMark]; ok {
			sens = true
		}
	}
	if !v.IsWhollyKnown() {
		if obj != nil {
			obj.failed = true
		}
		if ev.errs != nil && ev.errs.HasErrors() {
			// It depends on something that already failed: say nothing more.
			return cty.NullVal(cty.DynamicPseudoType), false, diags
		}
		return cty.NilVal, false, append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "Value not known",
			Detail:  "This value depends on something that has no value (see the other errors).",
			Subject: expr.Range().Ptr(),
		})
	}
	if sens && obj != nil {
		obj.Sensitive = append(obj.Sensitive, path)
	}
	return v, sens, diags
}

// literal returns the value of a constant expression: a quoted string
// without interpolation, or a number, bool or null literal.
func literal(expr hcl.Expression) (cty.Value, bool) {
	switch e := unbound(expr).(type) {
	case *hclsyntax.LiteralValueExpr:
		return e.Val, true
	case *hclsyntax.TemplateExpr:
		if len(e.Parts) == 1 {
			if lit, ok := e.Parts[0].(*hclsyntax.LiteralValueExpr); ok && lit.Val.Type() == cty.String && lit.Val.IsKnown() && !lit.Val.IsNull() && !lit.Val.IsMarked() {
				return lit.Val, true
			}
		}
	}
	return cty.NilVal, false
}

// explain replaces HCL's generic errors about var.x and local.x with ones
// that name the undeclared variable or local and suggest a close name.
func (ev *evaluator) explain(expr hcl.Expression, diags hcl.Diagnostics) hcl.Diagnostics {
	if !diags.HasErrors() {
		return diags
	}
	var ours hcl.Diagnostics
	for _, tr := range expr.Variables() {
		root := tr.RootName()
		if len(tr) < 2 {
			continue
		}
		step, ok := tr[1].(hcl.TraverseAttr)
		if !ok {
			continue
		}
		if root == "listener" || root == "cluster" {
			if d := ev.explainObjectRef(tr); d != nil {
				ours = append(ours, d)
			}
			continue
		}
		if root != "var" && root != "local" {
			continue
		}
		if root == "var" {
			if _, ok := ev.vars[step.Name]; ok {
				continue
			}
			detail := fmt.Sprintf("An input variable named %q is not declared; declare it with a variable block.", step.Name)
			if s := suggest(step.Name, ev.varNames); s != "" {
				detail = fmt.Sprintf("An input variable named %q is not declared. Did you mean %q?", step.Name, s)
			}
			ours = append(ours, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Reference to undeclared input variable", Detail: detail, Subject: tr.SourceRange().Ptr()})
			continue
		}
		if ev.hasLocal(step.Name) {
			continue
		}
		detail := fmt.Sprintf("A local value named %q is not declared.", step.Name)
		if s := suggest(step.Name, ev.localNames); s != "" {
			detail = fmt.Sprintf("A local value named %q is not declared. Did you mean %q?", step.Name, s)
		}
		ours = append(ours, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Reference to undeclared local value", Detail: detail, Subject: tr.SourceRange().Ptr()})
	}
	if len(ours) > 0 {
		return ours
	}
	return diags
}

// explainObjectRef explains a reference to an undeclared listener or
// cluster, or nil when the reference names a declared one.
func (ev *evaluator) explainObjectRef(tr hcl.Traversal) *hcl.Diagnostic {
	root := ev.ctx.Variables[tr.RootName()]
	if root == cty.NilVal || !root.Type().IsObjectType() {
		return nil
	}
	names := func(v cty.Value) []string {
		var out []string
		for n := range v.Type().AttributeTypes() {
			out = append(out, n)
		}
		sort.Strings(out)
		return out
	}
	step := tr[1].(hcl.TraverseAttr)
	if tr.RootName() == "cluster" {
		if root.Type().HasAttribute(step.Name) {
			return nil
		}
		detail := fmt.Sprintf("No cluster %q is declared.", step.Name)
		if s := suggest(step.Name, names(root)); s != "" {
			detail += fmt.Sprintf(" Did you mean %q?", s)
		}
		return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Reference to undeclared cluster", Detail: detail, Subject: step.SrcRange.Ptr()}
	}
	if !root.Type().HasAttribute(step.Name) {
		detail := fmt.Sprintf("%q is not a listener protocol; write listener.<%s>.<name>.", step.Name, strings.Join(protocols, "|"))
		if s := suggest(step.Name, protocols); s != "" {
			detail = fmt.Sprintf("%q is not a listener protocol. Did you mean %q?", step.Name, s)
		}
		return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid listener reference", Detail: detail, Subject: step.SrcRange.Ptr()}
	}
	if len(tr) < 3 {
		return nil
	}
	name, ok := tr[2].(hcl.TraverseAttr)
	byProto := root.GetAttr(step.Name)
	if !ok || byProto.Type().HasAttribute(name.Name) {
		return nil
	}
	detail := fmt.Sprintf("No %s listener named %q is declared.", step.Name, name.Name)
	if s := suggest(name.Name, names(byProto)); s != "" {
		detail += fmt.Sprintf(" Did you mean %q?", s)
	}
	return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Reference to undeclared listener", Detail: detail, Subject: name.SrcRange.Ptr()}
}

func (ev *evaluator) hasLocal(name string) bool {
	i := sort.SearchStrings(ev.localNames, name)
	return i < len(ev.localNames) && ev.localNames[i] == name
}

// loader carries the work of one Load call.
type loader struct {
	cfg   *Config
	opts  Options
	dir   string
	ev    *evaluator
	diags hcl.Diagnostics

	listeners       map[string]*listenerDecl // "<proto> <ip:port>"
	listenerNames   map[string]*listenerDecl // "<proto>.<name>"
	listenerOrder   []*listenerDecl
	failedListeners [][2]string // protocol, name of listeners that did not decode
	clusters        map[string]*clusterDecl
	clusterOrder    []*clusterDecl
	certs           []*certDecl
	certNames       map[string]*certDecl
	certKeys        map[string]*certDecl
	httpRoutes      map[string]*Object
	httpsRoutes     map[string]*Object
	httpFronts      []*httpFrontDecl
	l4Fronts        map[string]*Object // "<proto> <ip:port>"
	tcpFronts       []*tcpFrontDecl
	udpFronts       []*udpFrontDecl
	sensitiveVals   map[[32]byte]string
}

func newLoader(cfg *Config, dir string, opts Options) *loader {
	reads := &fileReads{}
	return &loader{
		cfg:  cfg,
		opts: opts,
		dir:  dir,
		ev: &evaluator{
			ctx: &hcl.EvalContext{
				Variables: map[string]cty.Value{},
				Functions: functions(dir, reads),
			},
			reads: reads,
		},
		listeners:     map[string]*listenerDecl{},
		listenerNames: map[string]*listenerDecl{},
		clusters:      map[string]*clusterDecl{},
		certNames:     map[string]*certDecl{},
		certKeys:      map[string]*certDecl{},
		httpRoutes:    map[string]*Object{},
		httpsRoutes:   map[string]*Object{},
		l4Fronts:      map[string]*Object{},
	}
}

func (ld *loader) add(d ...*hcl.Diagnostic) { ld.diags = append(ld.diags, d...) }

func (ld *loader) addAll(d hcl.Diagnostics) {
	for _, x := range d {
		if ld.diags.HasErrors() && isUnknownFollowOn(x) {
			continue
		}
		ld.diags = append(ld.diags, x)
	}
}

// isUnknownFollowOn tells whether d is dynblock's complaint about a value
// that is not known. Values are unknown only when something they depend on
// failed (a required variable without a value, a local in error), which
// has been reported already.
func isUnknownFollowOn(d *hcl.Diagnostic) bool {
	return strings.HasPrefix(d.Summary, "Invalid dynamic") && strings.Contains(d.Detail, "not yet known")
}

func (ld *loader) run(files []*hcl.File) {
	// The whole body against the full schema: unknown blocks and attributes
	// with their suggestions, label counts.
	raw, d := hcl.MergeFiles(files).Content(rootSchema)
	ld.addAll(d)
	var sozuBlocks, varBlocks, localBlocks []*hcl.Block
	for _, blk := range raw.Blocks {
		switch blk.Type {
		case blockSozu:
			sozuBlocks = append(sozuBlocks, blk)
		case blockVariable:
			varBlocks = append(varBlocks, blk)
		case blockLocals:
			localBlocks = append(localBlocks, blk)
		case blockDynamic:
			ld.checkDynamicType(blk, dynamicRoot)
		}
	}

	vars, order, d := declareVariables(varBlocks)
	ld.addAll(d)
	ld.addAll(resolveVariables(vars, order, ld.opts, ld.cfg.Files))
	ld.ev.vars = vars
	varVals := make(map[string]cty.Value, len(vars))
	for name, v := range vars {
		ld.ev.varNames = append(ld.ev.varNames, name)
		varVals[name] = v.value
		if v.sensitive {
			ld.cfg.Sensitive.Variables[name] = true
			ld.ev.marked = true
		}
	}
	sort.Strings(ld.ev.varNames)
	ctx := ld.ev.ctx
	ctx.Variables["var"] = cty.ObjectVal(varVals)
	ld.addAll(checkValidations(vars, order, ctx))

	locals := newLocals(localBlocks, ctx, ld.ev)
	ld.ev.localNames = locals.names()
	ld.addAll(locals.evalEarly())

	ld.decodeSozu(sozuBlocks)

	// Literal blocks are decoded from their own bodies, wrapped for dynamic
	// blocks only when they hold one; top-level dynamic blocks are expanded
	// from a body of their own. Dynamic blocks read the evaluation context
	// when their content is asked for, so listener and cluster references
	// added to ctx below are in scope for the blocks decoded after them.
	var dynBlocks []*hclsyntax.Block
	for _, f := range files {
		if sb, ok := f.Body.(*hclsyntax.Body); ok {
			for _, b := range sb.Blocks {
				if b.Type == blockDynamic {
					dynBlocks = append(dynBlocks, b)
				}
			}
		}
	}
	dynBlocks = ld.checkDynamicScope(dynBlocks, locals)
	// From here on the blocks are reached through raw and dynBlocks only:
	// dropping the files lets each cluster's syntax tree be collected once
	// it is decoded, which bounds the peak memory of a large configuration.
	files = nil
	blocksOf := func(schema *hcl.BodySchema) hcl.Blocks {
		var out hcl.Blocks
		for _, blk := range raw.Blocks {
			for _, bs := range schema.Blocks {
				if blk.Type == bs.Type {
					out = append(out, blk)
				}
			}
		}
		ix := indexOf(schema)
		var slow []*hclsyntax.Block
		for _, b := range dynBlocks {
			if len(b.Labels) != 1 {
				continue // reported by the check of the whole body
			}
			n, ok := ix.blocks[b.Labels[0]]
			if !ok {
				continue
			}
			if gen, ok := ld.ev.expandDynamic(b, n, nil); ok {
				out = append(out, gen...)
				continue
			}
			slow = append(slow, b)
		}
		if len(slow) > 0 {
			generated := dynblock.Expand(&hclsyntax.Body{Blocks: slow, SrcRange: slow[0].Range(), EndRange: slow[len(slow)-1].Range()}, ctx)
			c, _, d := generated.PartialContent(schema)
			ld.addAll(d)
			out = append(out, c.Blocks...)
		}
		if len(dynBlocks) > 0 {
			sort.SliceStable(out, func(i, j int) bool { return rangeBefore(out[i].DefRange, out[j].DefRange) })
		}
		return out
	}

	for _, blk := range blocksOf(listenerPassSchema) {
		ld.decodeListener(blk)
	}
	ctx.Variables["listener"] = ld.listenerObjects()
	// Locals that refer to listeners only are known from here on, so that
	// dynamic cluster blocks can iterate over them; those that refer to
	// clusters stay unknown until clusters are named below.
	ctx.Variables["cluster"] = cty.DynamicVal
	ld.addAll(locals.evalDeferred())

	clusters := blocksOf(clusterPassSchema)
	ld.presize(clusters)
	clusterVals := map[string]cty.Value{}
	for _, blk := range clusters {
		id := blk.Labels[0]
		clusterVals[id] = cty.ObjectVal(map[string]cty.Value{"cluster_id": cty.StringVal(id)})
	}
	ctx.Variables["cluster"] = cty.ObjectVal(clusterVals)
	ld.addAll(locals.evalDeferred())
	// Top-level frontends and certificates, dynamic ones included, come
	// after the names of clusters, so that they can iterate over clusters
	// and over locals that refer to them.
	objects := blocksOf(objectPassSchema)
	raw = nil
	// Clusters first, so that top-level frontends can name any of them.
	for i, blk := range clusters {
		ld.decodeCluster(blk)
		clusters[i] = nil
	}
	for _, blk := range objects {
		switch blk.Type {
		case blockCertificate:
			ld.decodeCertificate(blk)
		case blockHTTPFront, blockHTTPSFront:
			ld.decodeHTTPFrontend(blk, blk.Type == blockHTTPSFront, nil)
		}
	}
	ld.checkCoverage()
	ld.build()
}

// presize gives the maps of declared objects and routes room for the
// objects that blocks declare (a cluster and its nested blocks), so that a
// large configuration does not grow them step by step.
func (ld *loader) presize(blocks hcl.Blocks) {
	n, routes := 0, 0
	for _, blk := range blocks {
		n++
		var nested []*hclsyntax.Block
		switch b := blk.Body.(type) {
		case *hclsyntax.Body:
			nested = b.Blocks
		case *boundBody:
			nested = b.body.Blocks
		}
		n += len(nested)
		for _, nb := range nested {
			if nb.Type == blockHTTPFront || nb.Type == blockHTTPSFront {
				routes++
			}
		}
	}
	if n <= 1024 {
		return
	}
	objs := make(map[ObjectID]*Object, len(ld.cfg.Objects)+n)
	for k, v := range ld.cfg.Objects {
		objs[k] = v
	}
	ld.cfg.Objects = objs
	ld.httpRoutes = make(map[string]*Object, routes)
	ld.clusters = make(map[string]*clusterDecl, len(blocks))
}

// checkDynamicScope reports the top-level dynamic blocks whose for_each or
// labels need what they declare: listeners are decoded before everything
// else, so a dynamic "listener" block cannot iterate over listeners or
// clusters (directly or through a local), and clusters are named before any
// is decoded, so a dynamic "cluster" block cannot iterate over clusters. It
// returns the blocks that may be expanded.
func (ld *loader) checkDynamicScope(blocks []*hclsyntax.Block, locals *localValues) []*hclsyntax.Block {
	out := blocks[:0:0]
	for _, b := range blocks {
		if len(b.Labels) != 1 || (b.Labels[0] != blockListener && b.Labels[0] != blockCluster) {
			out = append(out, b)
			continue
		}
		forbidden := []string{blockCluster}
		what, exists := "clusters", "cluster.* exists"
		if b.Labels[0] == blockListener {
			forbidden = []string{blockListener, blockCluster}
			what, exists = "listeners or clusters", "listener.* and cluster.* exist"
		}
		var bad *hcl.Diagnostic
		for _, name := range []string{"for_each", "labels"} {
			a, ok := b.Body.Attributes[name]
			if !ok || bad != nil {
				continue
			}
			for _, tr := range a.Expr.Variables() {
				root := tr.RootName()
				via := ""
				if root == "local" && len(tr) > 1 {
					if step, ok := tr[1].(hcl.TraverseAttr); ok {
						if dep := locals.refersTo(step.Name, forbidden); dep != "" {
							via, root = "local."+step.Name, dep
						}
					}
				}
				hit := false
				for _, f := range forbidden {
					// In labels, the block's own type names its iterator.
					hit = hit || (root == f && (name == "for_each" || via != "" || f != b.Labels[0]))
				}
				if !hit {
					continue
				}
				ref := root + ".*"
				if via != "" {
					ref = via + ", which refers to " + ref
				}
				bad = &hcl.Diagnostic{
					Severity: hcl.DiagError, Summary: "Dynamic " + b.Labels[0] + " block depends on " + what,
					Detail: fmt.Sprintf("The %s of a dynamic %q block cannot use %s: %s blocks are generated before %s. Iterate over a variable, or a local that does not refer to %s.",
						name, b.Labels[0], ref, b.Labels[0], exists, what),
					Subject: tr.SourceRange().Ptr(),
				}
				break
			}
		}
		if bad != nil {
			ld.add(bad)
			continue
		}
		out = append(out, b)
	}
	return out
}

// checkDynamicType reports a dynamic block generating a block type that is
// not allowed where it stands.
func (ld *loader) checkDynamicType(blk *hcl.Block, allowed []string) {
	if len(blk.Labels) == 0 {
		return
	}
	name := blk.Labels[0]
	for _, a := range allowed {
		if a == name {
			return
		}
	}
	detail := fmt.Sprintf("A dynamic block cannot generate %q blocks here; it can generate %s.", name, quoteJoin(allowed))
	if s := suggest(name, allowed); s != "" {
		detail = fmt.Sprintf("A dynamic block cannot generate %q blocks here. Did you mean %q?", name, s)
	}
	ld.add(&hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unsupported block type", Detail: detail, Subject: blk.LabelRanges[0].Ptr()})
}

func (ld *loader) decodeSozu(blocks []*hcl.Block) {
	for i, blk := range blocks {
		if i > 0 {
			ld.add(&hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Duplicate sozu block",
				Detail:  fmt.Sprintf("Only one sozu block is allowed; the first one is at %s.", blocks[0].DefRange),
				Subject: blk.DefRange.Ptr(),
			})
			continue
		}
		s := &ld.cfg.Sozu
		s.Range = blk.DefRange
		content, d := blk.Body.Content(sozuSchema)
		ld.addAll(d)
		str := func(a *hcl.Attribute) (string, bool) {
			v, _, d := ld.ev.value(a.Expr, nil, a.Name, false)
			ld.addAll(d)
			if d.HasErrors() || v.IsNull() {
				return "", false
			}
			sv, err := convert.Convert(v, cty.String)
			if err != nil {
				ld.add(attrError(a, typeError("A string is required, not %s.", v.Type().FriendlyName())))
				return "", false
			}
			return sv.AsString(), true
		}
		strs := func(a *hcl.Attribute) ([]string, bool) {
			v, _, d := ld.ev.value(a.Expr, nil, a.Name, false)
			ld.addAll(d)
			if d.HasErrors() || v.IsNull() {
				return nil, false
			}
			lv, err := convert.Convert(v, cty.List(cty.String))
			if err != nil || !v.CanIterateElements() {
				ld.add(attrError(a, typeError("A list of strings is required, not %s.", v.Type().FriendlyName())))
				return nil, false
			}
			out := []string{}
			for it := lv.ElementIterator(); it.Next(); {
				_, e := it.Element()
				if e.IsNull() {
					ld.add(attrError(a, typeError("The list must not hold null.")))
					return nil, false
				}
				out = append(out, e.AsString())
			}
			return out, true
		}
		num := func(a *hcl.Attribute, lo, hi float64) (float64, bool) {
			v, _, d := ld.ev.value(a.Expr, nil, a.Name, false)
			ld.addAll(d)
			if d.HasErrors() || v.IsNull() {
				return 0, false
			}
			nv, err := convert.Convert(v, cty.Number)
			if err != nil {
				ld.add(attrError(a, typeError("A number is required, not %s.", v.Type().FriendlyName())))
				return 0, false
			}
			f, _ := nv.AsBigFloat().Float64()
			if f < lo || f > hi {
				ld.add(attrError(a, &valueError{summary: "Number out of range", detail: fmt.Sprintf("%g is out of range %g..%g.", f, lo, hi)}))
				return 0, false
			}
			return f, true
		}
		if a, ok := content.Attributes["socket"]; ok {
			if v, ok := str(a); ok {
				s.Socket, s.SocketRange = ld.resolvePath(v), a.Expr.Range()
			}
		}
		if a, ok := content.Attributes["manage"]; ok {
			if v, ok := strs(a); ok {
				valid := []string{ManageListeners, ManageClusters, ManageCertificates}
				good := true
				seen := map[string]bool{}
				for _, m := range v {
					if m != ManageListeners && m != ManageClusters && m != ManageCertificates {
						detail := fmt.Sprintf("%q is not a kind of object; valid values are %s.", m, quoteJoin(valid))
						if sug := suggest(m, valid); sug != "" {
							detail = fmt.Sprintf("%q is not a kind of object. Did you mean %q?", m, sug)
						}
						ld.add(attrError(a, &valueError{summary: "Invalid manage value", detail: detail}))
						good = false
					}
					seen[m] = true
				}
				if good {
					s.Manage = s.Manage[:0]
					for _, m := range valid {
						if seen[m] {
							s.Manage = append(s.Manage, m)
						}
					}
					s.ManageRange = a.Expr.Range()
				}
			}
		}
		if a, ok := content.Attributes["ignore_clusters"]; ok {
			if v, ok := strs(a); ok {
				for _, g := range v {
					if _, err := filepath.Match(g, ""); err != nil {
						ld.add(attrError(a, &valueError{summary: "Invalid glob pattern", detail: fmt.Sprintf("%q is not a valid pattern: %s.", g, err)}))
					}
				}
				s.IgnoreClusters, s.IgnoreClustersRange = v, a.Expr.Range()
			}
		}
		if a, ok := content.Attributes["mass_removal_threshold"]; ok {
			if v, ok := num(a, 0, 100); ok {
				s.MassRemovalThreshold, s.MassRemovalThresholdRange = v, a.Expr.Range()
			}
		}
		if a, ok := content.Attributes["mass_removal_minimum"]; ok {
			if v, ok := num(a, 0, 1e9); ok {
				if v != float64(int(v)) {
					ld.add(attrError(a, &valueError{summary: "Invalid number", detail: "A whole number is required."}))
				} else {
					s.MassRemovalMinimum, s.MassRemovalMinimumRange = int(v), a.Expr.Range()
				}
			}
		}
	}
}

// keySource finds where a certificate key came from.
func (ld *loader) keySource(key string) KeySource {
	sum := sha256.Sum256([]byte(key))
	src := KeySource{SHA256: hex.EncodeToString(sum[:])}
	if p, ok := ld.ev.reads.lookup(sum); ok {
		src.File = p
		return src
	}
	if ld.sensitiveVals == nil {
		ld.sensitiveVals = map[[32]byte]string{}
		names := make([]string, 0, len(ld.ev.vars))
		for n := range ld.ev.vars {
			names = append(names, n)
		}
		sort.Sort(sort.Reverse(sort.StringSlice(names))) // first name wins
		for _, n := range names {
			v := ld.ev.vars[n]
			if !v.sensitive || !v.set {
				continue
			}
			u, _ := v.value.UnmarkDeep()
			if u.Type() == cty.String && !u.IsNull() && u.IsKnown() {
				ld.sensitiveVals[sha256.Sum256([]byte(u.AsString()))] = n
			}
		}
	}
	if n, ok := ld.sensitiveVals[sum]; ok {
		src.Variable = n
	}
	return src
}

func hasDynamic(b *hclsyntax.Body) bool {
	for _, blk := range b.Blocks {
		if blk.Type == blockDynamic || hasDynamic(blk.Body) {
			return true
		}
	}
	return false
}

func rangeBefore(a, b hcl.Range) bool {
	if a.Filename != b.Filename {
		return a.Filename < b.Filename
	}
	return a.Start.Byte < b.Start.Byte
}

// quoteLabel writes a label into a plan address: as is when it is an HCL
// identifier, quoted otherwise.
func quoteLabel(s string) string {
	if isIdentifier(s) {
		return s
	}
	return strconv.Quote(s)
}

// isIdentifier is an ASCII-only version of hclsyntax.ValidIdentifier, which
// scans tokens and is too slow for every object of a large configuration.
func isIdentifier(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_':
		case i > 0 && (c >= '0' && c <= '9' || c == '-'):
		default:
			return false
		}
	}
	return true
}

func lowerASCII(s string) bool { return strings.ToLower(s) == s }

// resolvePath makes a path written in the configuration absolute, relative
// to the configuration directory, as file() reads it: the sozu block's
// socket is then the same socket whatever directory the tool runs from.
func (ld *loader) resolvePath(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	if abs, err := filepath.Abs(filepath.Join(ld.dir, p)); err == nil {
		return abs
	}
	return filepath.Join(ld.dir, p)
}
