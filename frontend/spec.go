package frontend

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/frontend/dockerui"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/solver/errdefs"
	"github.com/moby/buildkit/solver/pb"
	"github.com/openvex/go-vex/pkg/vex"

	"github.com/distill-dev/distill/internal/attest"
	"github.com/distill-dev/distill/internal/catalog"
	"github.com/distill-dev/distill/internal/llbgen"
	"github.com/distill-dev/distill/internal/plan"
	"github.com/distill-dev/distill/internal/sbom"
	"github.com/distill-dev/distill/internal/scan"
	"github.com/distill-dev/distill/internal/scanrun"
	"github.com/distill-dev/distill/internal/solver"
	"github.com/distill-dev/distill/pipeline/spec"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// buildSpec builds a distill.yaml as `distill build` does, with the base
// flavours, scanner and database from the catalog.
func buildSpec(ctx context.Context, c gateway.Client, bc *dockerui.Client, src *dockerui.Source, cat *catalog.Catalog, o options) (*gateway.Result, error) {
	bopts := c.BuildOpts().Opts
	if req, ok := bopts["requestid"]; ok {
		return nil, fmt.Errorf("%s is a distill.yaml: the frontend has no %s subrequest for it (only Dockerfiles have outline, targets and checks)", src.Filename, req)
	}
	s, err := spec.Parse(src.Data, src.Filename)
	if err != nil {
		return nil, withSource(err, src.SourceMap)
	}
	if s, err = applyOverrides(s, bopts); err != nil {
		return nil, err
	}
	var platforms []string
	for _, p := range bc.TargetPlatforms {
		platforms = append(platforms, fromOCI(p).String())
	}
	s = s.With(spec.Overrides{Platforms: platforms, ScanStages: o.scanStages, NoScan: !o.scan})
	g, err := plan.Compile(s)
	if err != nil {
		return nil, withSource(err, src.SourceMap)
	}
	target := plan.TargetRuntime
	if bc.Target != "" {
		if target, err = plan.ParseTarget(bc.Target); err != nil {
			return nil, err
		}
	}
	g.StopAt(target)

	var localOpts []llb.LocalOption
	if g.Source.Local != nil {
		if p := strings.TrimPrefix(g.Source.Local.Path, "./"); p != "." && p != "" {
			return nil, fmt.Errorf("source.path %q: the frontend builds the build context itself (source.path \".\"): pass %s as the context instead", g.Source.Local.Path, p)
		}
		ignore, err := bc.DockerIgnorePatterns(ctx)
		if err != nil {
			return nil, err
		}
		g.Source.Local.Exclude = append(g.Source.Local.Exclude, ignore...)
		sid := c.BuildOpts().SessionID
		if v, ok := bopts["local-sessionid:"+plan.ContextName]; ok {
			sid = v
		}
		localOpts = append(localOpts, llb.SessionID(sid))
	}

	bases, err := resolveBases(ctx, c, cat, g)
	if err != nil {
		return nil, err
	}
	gen := llbgen.Options{
		BuildPlatform: buildPlatform, Args: buildArgs(ctx, c, g, bc.BuildArgs), Epoch: o.epoch,
		Source: o.vcsSource, Revision: o.vcsRevision, LocalOpts: localOpts,
	}
	var scans *scanrun.Collector
	var env *scanEnv
	if len(g.Scans) > 0 {
		if env, err = newScanEnv(ctx, c, cat, o); err != nil {
			return nil, err
		}
		env.warnStale(ctx, c)
		gen.Scanner = &env.scanner
		var loadVEX func(string) (*vex.VEX, error)
		if len(g.Policy.VEX)+len(o.vex) > 0 {
			loadVEX = vexLoader(ctx, contextRef(ctx, c, localOpts))
		}
		pol, err := scanrun.Policy(g.Policy, "", o.vex, o.failOn, loadVEX)
		if err != nil {
			return nil, err
		}
		records := map[string][]sbom.Installed{}
		for _, p := range g.Platforms {
			records[plan.RuntimeStage+" "+p.String()] = bases.installed(g.Runtime.Base, p)
		}
		scans = env.collector(pol, g.Name, len(g.Platforms) > 1, o.epoch, records)
	}
	prog, err := llbgen.Generate(g, bases, gen)
	if err != nil {
		return nil, err
	}
	req := solver.Request{Program: prog, Target: target, Epoch: o.epoch}
	if scans != nil {
		req.OnScan = scans.OnScan
	}
	res, err := solver.Build(ctx, c, req)
	if scans != nil {
		summary(ctx, c, reports(scans))
		if gerr := scans.GateError(); gerr != nil {
			return nil, gerr
		}
	}
	if err != nil || scans == nil {
		return res, err
	}
	imgs, err := images(res)
	if err != nil {
		return nil, err
	}
	specJSON, err := json.Marshal(s.WithDefaults())
	if err != nil {
		return nil, err
	}
	return res, attach(ctx, c, res, imgs, scans, func(byproducts []attest.Byproduct) ([]byte, error) {
		pv := provenance(o, env, specJSON, byproducts)
		pv.Target = string(target)
		for _, p := range g.Platforms {
			pv.Platforms = append(pv.Platforms, p.String())
		}
		pv.Args = gen.Args
		bases.describe(&pv)
		return attest.SLSA(pv)
	})
}

// provenance is what every frontend build's provenance says.
func provenance(o options, env *scanEnv, specJSON []byte, byproducts []attest.Byproduct) attest.Provenance {
	epoch := o.epoch
	pv := attest.Provenance{
		BuilderID: builderID(), Spec: specJSON, SourceDateEpoch: &epoch, BuildPlatform: buildPlatform.String(),
		Source:     attest.Source{URI: o.vcsSource, Revision: o.vcsRevision},
		Byproducts: byproducts,
		Versions:   map[string]string{"distill": distillVersion()},
	}
	if pv.Source.URI == "" {
		pv.Source.URI = "buildkit-context:" + plan.ContextName
	}
	if env != nil {
		if d, err := digestOf(env.scannerRef); err == nil {
			pv.Scanner = attest.Image{Name: strings.SplitN(env.scannerRef, "@", 2)[0], Digest: d}
		}
		pv.ScannerVersion = env.info.Version
		pv.VulnDB = attest.VulnDB{Source: env.db.Source, Schema: env.db.Schema, UpdatedAt: env.db.UpdatedAt, SHA256: env.dbSHA256}
	}
	return pv
}

func reports(c *scanrun.Collector) []*scan.Report {
	var out []*scan.Report
	for _, f := range c.Results() {
		out = append(out, f.Report)
	}
	return out
}

// buildArgs are the build arguments the Spec declares, with the build's
// values; others are named in a warning, as docker build does.
func buildArgs(ctx context.Context, c gateway.Client, g *plan.Graph, given map[string]string) map[string]string {
	declared := map[string]bool{}
	for _, kv := range g.Args {
		declared[kv.Key] = true
	}
	out := map[string]string{}
	var unused []string
	for k, v := range given {
		switch {
		case declared[k]:
			out[k] = v
		case k == "SOURCE_DATE_EPOCH" || strings.HasPrefix(k, "BUILDKIT_") || strings.HasPrefix(k, "DISTILL_"):
		default:
			unused = append(unused, k)
		}
	}
	if len(unused) > 0 {
		sort.Strings(unused)
		warn(ctx, c, fmt.Sprintf("build arguments not declared in args of the distill.yaml were ignored: %s", strings.Join(unused, ", ")))
	}
	return out
}

// contextRef is the build context, for reading the VEX documents it holds.
func contextRef(ctx context.Context, c gateway.Client, opts []llb.LocalOption) gateway.Reference {
	st := llb.Local(plan.ContextName, append([]llb.LocalOption{llb.SharedKeyHint(plan.ContextName), llb.WithCustomName("[source] VEX documents")}, opts...)...)
	return solveRef(ctx, c, st)
}

// withSource attaches the distill.yaml to a Spec error that locates a field,
// so that buildctl and buildx show the line.
func withSource(err error, sm *llb.SourceMap) error {
	if sm == nil {
		return err
	}
	var ranges []*pb.Range
	add := func(fe *spec.FieldError) {
		if fe.Line > 0 {
			col := max(fe.Column, 1)
			ranges = append(ranges, &pb.Range{
				Start: &pb.Position{Line: int32(fe.Line), Character: int32(col - 1)},
				End:   &pb.Position{Line: int32(fe.Line), Character: int32(col - 1)},
			})
		}
	}
	var fe *spec.FieldError
	var es spec.Errors
	switch {
	case errors.As(err, &es):
		for _, e := range es {
			add(e)
		}
	case errors.As(err, &fe):
		add(fe)
	}
	if len(ranges) == 0 {
		return err
	}
	return errdefs.WithSource(err, &errdefs.Source{
		Info:   &pb.SourceInfo{Data: sm.Data, Filename: sm.Filename, Language: sm.Language},
		Ranges: ranges,
	})
}

// applyOverrides sets Spec fields from --opt FIELD.PATH=VALUE (and
// --opt name=VALUE): the first segment is a top-level field of the Spec, the
// value is YAML ("HIGH", "[linux/amd64, linux/arm64]"). BuildKit's own
// options never contain a dot, so they are not mistaken for fields.
func applyOverrides(s *spec.Spec, opts map[string]string) (*spec.Spec, error) {
	fields := topLevelFields()
	var keys []string
	for k := range opts {
		first, _, dotted := strings.Cut(k, ".")
		if (dotted || k == "name") && fields[first] {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return s, nil
	}
	sort.Strings(keys)
	dt, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := json.Unmarshal(dt, &doc); err != nil {
		return nil, err
	}
	for _, k := range keys {
		var v any
		if err := yaml.Unmarshal([]byte(opts[k]), &v); err != nil {
			return nil, fmt.Errorf("--opt %s=%s: %w", k, opts[k], err)
		}
		path := strings.Split(k, ".")
		if err := setPath(doc, path, v); err != nil {
			return nil, fmt.Errorf("--opt %s: %w", k, err)
		}
		if _, isString := v.(string); !isString {
			// "8080" is a number in YAML but a string field's value: keep
			// the text when the typed value does not fit.
			if _, err := decodeSpec(doc); err != nil {
				_ = setPath(doc, path, opts[k])
			}
		}
	}
	out, err := decodeSpec(doc)
	if err != nil {
		return nil, fmt.Errorf("--opt %s: %w (see docs/distill-yaml.md for the fields)", strings.Join(keys, ", --opt "), err)
	}
	if err := out.Validate(); err != nil {
		return nil, fmt.Errorf("after --opt %s: %w", strings.Join(keys, ", --opt "), err)
	}
	return out, nil
}

// decodeSpec decodes a Spec from its JSON form, refusing unknown fields.
func decodeSpec(doc map[string]any) (*spec.Spec, error) {
	dt, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(dt))
	dec.DisallowUnknownFields()
	var out spec.Spec
	if err := dec.Decode(&out); err != nil {
		return nil, err
	}
	return &out, nil
}

func setPath(doc map[string]any, path []string, v any) error {
	for i, p := range path {
		if i == len(path)-1 {
			doc[p] = v
			return nil
		}
		next, ok := doc[p].(map[string]any)
		if !ok {
			if doc[p] != nil {
				return fmt.Errorf("%s is not an object", strings.Join(path[:i+1], "."))
			}
			next = map[string]any{}
			doc[p] = next
		}
		doc = next
	}
	return nil
}

// topLevelFields are the JSON names of the Spec's fields.
func topLevelFields() map[string]bool {
	out := map[string]bool{}
	t := reflect.TypeOf(spec.Spec{})
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out[name] = true
		}
	}
	return out
}

// bases resolves the graph's bases: flavours from the catalog, image
// references as they are.
type resolvedBases map[plan.BaseUse]resolvedBase

type resolvedBase struct {
	state  llb.State
	config *ocispecs.Image
	image  string
	entry  *catalog.Base
}

func resolveBases(ctx context.Context, c gateway.Client, cat *catalog.Catalog, g *plan.Graph) (resolvedBases, error) {
	out := resolvedBases{}
	for _, u := range g.Bases(buildPlatform) {
		ref := u.Ref.Image
		var entry *catalog.Base
		if u.Ref.Flavour != "" {
			b, err := cat.Lookup(u.Ref, u.Platform)
			if err != nil {
				return nil, err
			}
			ref, entry = b.Image, &b
		}
		st, img, dgst, err := solver.ResolveImage(ctx, c, ref, u.Platform)
		if err != nil {
			return nil, err
		}
		name := strings.SplitN(ref, "@", 2)[0]
		out[u] = resolvedBase{state: st, config: img, image: name + "@" + dgst.String(), entry: entry}
	}
	return out, nil
}

func (b resolvedBases) Base(ref plan.BaseRef, p plan.Platform) (llb.State, *ocispecs.Image, error) {
	r, ok := b[plan.BaseUse{Ref: ref, Platform: p}]
	if !ok {
		return llb.State{}, nil, fmt.Errorf("base %s for %s was not resolved", ref, p)
	}
	return r.state, r.config, nil
}

// installed is what distill installed into a flavour (its SBOM records).
func (b resolvedBases) installed(ref plan.BaseRef, p plan.Platform) []sbom.Installed {
	r, ok := b[plan.BaseUse{Ref: ref, Platform: p}]
	if !ok || r.entry == nil {
		return nil
	}
	var out []sbom.Installed
	for _, pkg := range r.entry.Packages {
		out = append(out, sbom.Installed(pkg))
	}
	return out
}

// describe adds the bases' packages, toolchains and digests to a provenance.
func (b resolvedBases) describe(pv *attest.Provenance) {
	uses := make([]plan.BaseUse, 0, len(b))
	for u := range b {
		uses = append(uses, u)
	}
	sort.Slice(uses, func(i, j int) bool {
		return uses[i].Ref.String()+uses[i].Platform.String() < uses[j].Ref.String()+uses[j].Platform.String()
	})
	for _, u := range uses {
		r := b[u]
		label := u.Ref.String()
		if r.entry != nil {
			for _, pkg := range r.entry.Packages {
				pv.Packages = append(pv.Packages, attest.Package{Name: pkg.Name, Version: pkg.Version, Arch: pkg.Architecture, SHA256: pkg.SHA256, Image: label + " " + u.Platform.String()})
			}
			if t := r.entry.Toolchain; t != nil {
				pv.Toolchains = append(pv.Toolchains, attest.Toolchain{Module: "golang.org/toolchain", Version: t.ModVersion, Sum: t.Sum})
			}
		}
		if d, err := digestOf(r.image); err == nil {
			pv.BaseImages = append(pv.BaseImages, attest.Image{Name: label, Platform: u.Platform.String(), Digest: d})
		}
	}
}
