package frontend

import (
	"context"
	"fmt"
	"runtime/debug"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	gatewaypb "github.com/moby/buildkit/frontend/gateway/pb"
	"github.com/moby/buildkit/solver/result"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/distill-dev/distill/internal/attest"
	"github.com/distill-dev/distill/internal/plan"
	"github.com/distill-dev/distill/internal/scanrun"
)

// Attestation files, as BuildKit's local and tar exporters name them next to
// the image's filesystem.
const (
	fileSPDX       = "sbom.spdx.json"
	fileCycloneDX  = "sbom.cdx.json"
	fileVuln       = "vuln.json"
	fileProvenance = "distill.provenance.json"
)

// PredicateProvenance is the predicate type of distill's provenance in a
// frontend build: the SLSA provenance v1 predicate distill writes, under
// its own type, because BuildKit keeps the https://slsa.dev/provenance/
// types for the provenance it makes itself (--attest type=provenance, which
// can be asked for as well).
const PredicateProvenance = "https://distill.dev/provenance/slsa/v1"

// platformImage is one platform's image in a result.
type platformImage struct {
	id       string // the exporter's key: "linux/amd64"
	platform plan.Platform
	ref      gateway.Reference
}

// images lists the result's platform images, in the exporter's order.
func images(res *gateway.Result) ([]platformImage, error) {
	ps, err := exptypes.ParsePlatforms(res.Metadata)
	if err != nil {
		return nil, err
	}
	var out []platformImage
	for _, p := range ps.Platforms {
		ref, ok := res.Refs[p.ID]
		if !ok {
			if res.Ref == nil || len(ps.Platforms) != 1 {
				return nil, fmt.Errorf("the build result has no image for %s", p.ID)
			}
			ref = res.Ref
		}
		out = append(out, platformImage{id: p.ID, platform: fromOCI(p.Platform), ref: ref})
	}
	return out, nil
}

// attach adds distill's attestations to each platform image of res: its
// SBOMs (SPDX, which answers --sbom=true, and CycloneDX), its vulnerability
// report (cosign's vuln predicate), the reports of the other scanned stages,
// and the SLSA provenance that names the SBOMs' digests.
func attach(ctx context.Context, c gateway.Client, res *gateway.Result, imgs []platformImage, scans *scanrun.Collector,
	provenance func(byproducts []attest.Byproduct) ([]byte, error)) error {
	multi := len(imgs) > 1
	var stages []scanrun.Files
	for _, f := range scans.Results() {
		if f.Report.Stage != "" && !isRuntimeLabel(f.Label) {
			stages = append(stages, f)
		}
	}
	for _, img := range imgs {
		label := plan.RuntimeStage
		if multi {
			label += " " + img.platform.String()
		}
		f, ok := scans.Find(label)
		if !ok {
			return fmt.Errorf("no scan of %s", label)
		}
		preds, err := attest.ForImage(&attest.Scanned{CDX: f.CDX, SPDX: f.SPDX, Report: f.Report, Started: f.Started, Finished: f.Finished},
			builderID(), provenance)
		if err != nil {
			return err
		}
		var files []attFile
		for _, p := range preds {
			files = append(files, fileOf(p))
		}
		for _, s := range stages {
			v, err := attest.Vuln(s.Report, attest.Invocation{BuilderID: builderID()}, s.Started, s.Finished)
			if err != nil {
				return err
			}
			files = append(files, attFile{scanrun.FileLabel(s.Label) + "." + fileVuln, attest.PredicateVuln, v, ""})
		}
		if err := attachFiles(ctx, c, res, img.id, files); err != nil {
			return err
		}
	}
	return nil
}

// fileOf names a predicate's file and marks the SPDX SBOM as the image's
// SBOM (what --sbom=true asks for). distill's provenance gets its own type:
// BuildKit keeps https://slsa.dev/provenance/ for its own.
func fileOf(p attest.Predicate) attFile {
	switch p.PredicateType {
	case attest.PredicateSPDX:
		return attFile{fileSPDX, p.PredicateType, p.Predicate, result.AttestationReasonSBOM}
	case attest.PredicateCycloneDX:
		return attFile{fileCycloneDX, p.PredicateType, p.Predicate, ""}
	case attest.PredicateVuln:
		return attFile{fileVuln, p.PredicateType, p.Predicate, ""}
	}
	return attFile{fileProvenance, PredicateProvenance, p.Predicate, ""}
}

type attFile struct {
	name, predicateType string
	predicate           []byte
	reason              string
}

// attachFiles writes the predicates into one scratch filesystem and attaches
// each as an in-toto attestation of the image keyed id.
func attachFiles(ctx context.Context, c gateway.Client, res *gateway.Result, id string, files []attFile) error {
	st := llb.Scratch()
	for _, f := range files {
		st = st.File(llb.Mkfile("/"+f.name, 0o644, f.predicate), llb.WithCustomName("[distill] attestation "+f.name+" "+id))
	}
	def, err := st.Marshal(ctx)
	if err != nil {
		return err
	}
	r, err := c.Solve(ctx, gateway.SolveRequest{Definition: def.ToPB()})
	if err != nil {
		return err
	}
	ref, err := r.SingleRef()
	if err != nil {
		return err
	}
	for _, f := range files {
		a := gateway.Attestation{
			Kind:   gatewaypb.AttestationKind_InToto,
			Ref:    ref,
			Path:   "/" + f.name,
			InToto: result.InTotoAttestation{PredicateType: f.predicateType},
		}
		if f.reason != "" {
			a.Metadata = map[string][]byte{result.AttestationReasonKey: []byte(f.reason)}
		}
		res.AddAttestation(id, a)
	}
	return nil
}

func isRuntimeLabel(l string) bool {
	return l == plan.RuntimeStage || len(l) > len(plan.RuntimeStage) && l[:len(plan.RuntimeStage)+1] == plan.RuntimeStage+" "
}

func fromOCI(p ocispecs.Platform) plan.Platform {
	return plan.Platform{OS: p.OS, Arch: p.Architecture, Variant: p.Variant}
}

func ocispecPlatform(p plan.Platform) ocispecs.Platform {
	return ocispecs.Platform{OS: p.OS, Architecture: p.Arch, Variant: p.Variant}
}

// digestOf is the digest a pinned reference (REPO@sha256:…) names.
func digestOf(ref string) (v1.Hash, error) {
	_, d, ok := strings.Cut(ref, "@")
	if !ok {
		return v1.Hash{}, fmt.Errorf("%s is not pinned by digest", ref)
	}
	return v1.NewHash(d)
}

// distillVersion is this binary's module version ("devel" for a source build).
func distillVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

// builderID identifies the distill frontend in provenance and vuln predicates.
func builderID() string { return "https://distill.dev/distill-frontend@" + distillVersion() }
