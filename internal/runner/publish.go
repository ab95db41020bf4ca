package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/distill-dev/distill/internal/attest"
	"github.com/distill-dev/distill/internal/ocistore"
	"github.com/distill-dev/distill/internal/plan"
	"github.com/distill-dev/distill/internal/sign"
	"github.com/distill-dev/distill/internal/vulndb"
	"github.com/distill-dev/distill/pipeline/spec"
)

// Signing says how a run signs what it publishes.
type Signing struct {
	// Key is a private key reference: a file, env://VAR or a KMS URI.
	Key string
	// Password returns the key's password (from the environment or a
	// prompt; never a flag value).
	Password sign.PassFunc
	// Keyless signs with a Fulcio certificate for the CI job's OIDC identity.
	Keyless *sign.Keyless
	// Tlog records signatures in the transparency log (Rekor). false is
	// offline signing, said in the output and by distill verify.
	Tlog bool
	// RekorURL is the transparency log for Tlog (default: sigstore's).
	RekorURL string
	// Referrers stores signatures and attestations as OCI 1.1 referrers
	// instead of cosign's sha256-<hex>.sig/.att tags.
	Referrers bool
}

// pushes splits outputs into registry pushes and the rest.
func pushes(outs []ocistore.Output) (push []name.Tag, rest []ocistore.Output, err error) {
	for _, o := range outs {
		if o.Kind != ocistore.Push {
			rest = append(rest, o)
			continue
		}
		t, err := name.NewTag(o.Target)
		if err != nil {
			return nil, nil, fmt.Errorf("--push %s: want a tag (REPOSITORY:TAG): %w", o.Target, err)
		}
		push = append(push, t)
	}
	return push, rest, nil
}

// provenanceInputs is what a run knows for its SLSA provenance.
type provenanceInputs struct {
	spec      *spec.Spec
	graph     *plan.Graph
	target    string
	args      map[string]string
	secretIDs []string
	epoch     time.Time
	git       gitInfo
	dir       string
	bases     bases
	scanner   *scanEnv
	buildkit  string
}

// signAndPublish signs the exported image (index and every platform image),
// attaches the runtime SBOMs, vulnerability reports and provenance as signed
// attestations, and pushes each tag with the tag moved last.
func signAndPublish(ctx context.Context, s Signing, opts sign.Options, res *Result, tags []name.Tag, p provenanceInputs, logf func(string, ...any)) error {
	idx, err := ocistore.ReadLayout(res.Layout)
	if err != nil {
		return err
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return err
	}
	top := im.Manifests[0]
	var entity any
	if top.MediaType.IsImage() {
		if entity, err = idx.Image(top.Digest); err != nil {
			return err
		}
	} else if entity, err = idx.ImageIndex(top.Digest); err != nil {
		return err
	}
	atts, err := attestations(res, p)
	if err != nil {
		return err
	}
	for _, tag := range tags {
		logf("signing %s@%s (%s)", tag.Context(), res.Digest, tlogState(s.Tlog))
		se, err := sign.Sign(ctx, entity, tag.Context(), atts, opts)
		if err != nil {
			return err
		}
		logf("publishing %s: image, signatures, attestations, then the tag", tag)
		if _, err := sign.Publish(ctx, tag, se, sign.PublishOptions{
			Referrers: s.Referrers, ReplaceAttestations: true,
			Remote: []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)},
		}); err != nil {
			return err
		}
		res.Published = append(res.Published, Published{Tag: tag.String(), Digest: res.Digest, Signed: true, Tlog: s.Tlog})
	}
	return nil
}

func tlogState(on bool) string {
	if on {
		return "recorded in the transparency log"
	}
	return "offline: no transparency log"
}

// signOptions loads the key (asking for its password once) or sets up
// keyless signing.
func signOptions(ctx context.Context, s Signing) (sign.Options, error) {
	o := sign.Options{Tlog: s.Tlog, Keyless: s.Keyless, RekorURL: s.RekorURL}
	switch {
	case s.Keyless != nil && s.Key != "":
		return o, fmt.Errorf("signing: a key (--key) or keyless (--keyless), not both")
	case s.Keyless != nil:
		if !s.Tlog {
			return o, fmt.Errorf("signing: keyless signatures need the transparency log (drop --no-tlog, or sign with --key)")
		}
		return o, nil
	case s.Key == "":
		return o, fmt.Errorf("signing needs a key (--key FILE, env://VAR or a KMS URI) or --keyless")
	}
	sv, err := sign.LoadSigner(ctx, s.Key, s.Password)
	if err != nil {
		return o, err
	}
	o.Signer = sv
	return o, nil
}

// attestations are, per platform image: its runtime SBOMs (CycloneDX, SPDX),
// its vulnerability report and the provenance (which names the SBOMs'
// digests); the index gets the provenance too.
func attestations(res *Result, p provenanceInputs) (map[v1.Hash][]sign.Attestation, error) {
	out := map[v1.Hash][]sign.Attestation{}
	multi := len(res.Images) > 1
	for _, img := range res.Images {
		label := plan.RuntimeStage
		if multi {
			label += " " + img.Platform
		}
		var files *ScanFiles
		for i := range res.Scans {
			if res.Scans[i].Label == label {
				files = &res.Scans[i]
			}
		}
		var scanned *attest.Scanned
		if files != nil {
			scanned = &attest.Scanned{CDX: files.CDX, SPDX: files.SPDX, Report: files.Report, Started: files.Started, Finished: files.Finished}
		}
		stmts, err := attest.ForImage(scanned, builderID(), func(b []attest.Byproduct) ([]byte, error) { return provenance(p, b) })
		if err != nil {
			return nil, err
		}
		var atts []sign.Attestation
		for _, st := range stmts {
			atts = append(atts, sign.Attestation{PredicateType: st.PredicateType, Predicate: st.Predicate})
		}
		out[img.Digest] = atts
	}
	if multi {
		prov, err := provenance(p, nil)
		if err != nil {
			return nil, err
		}
		out[res.Digest] = []sign.Attestation{{PredicateType: attest.PredicateSLSA, Predicate: prov}}
	}
	return out, nil
}

func provenance(p provenanceInputs, byproducts []attest.Byproduct) ([]byte, error) {
	specJSON, err := json.Marshal(p.spec.WithDefaults())
	if err != nil {
		return nil, err
	}
	var platforms []string
	for _, pl := range p.graph.Platforms {
		platforms = append(platforms, pl.String())
	}
	epoch := p.epoch
	pv := attest.Provenance{
		BuilderID: builderID(), Spec: specJSON, Target: p.target, Platforms: platforms,
		Args: p.args, SecretIDs: p.secretIDs, SourceDateEpoch: &epoch, BuildPlatform: "linux/amd64",
		Source:     attest.Source{URI: p.git.Remote, Revision: p.git.Revision, Dirty: gitDirty(p.dir)},
		Byproducts: byproducts,
		Versions:   map[string]string{"distill": distillVersion(), "buildkit": p.buildkit},
	}
	if pv.Source.URI == "" {
		pv.Source.URI = "file://" + p.dir
	}
	for k, b := range p.bases {
		label := k.Ref.String()
		for _, pkg := range b.packages {
			pv.Packages = append(pv.Packages, attest.Package{Name: pkg.Name, Version: pkg.Version, Arch: pkg.Architecture, SHA256: pkg.SHA256, Image: label + " " + k.Platform.String()})
		}
		if b.toolchain != nil {
			pv.Toolchains = append(pv.Toolchains, attest.Toolchain{Module: "golang.org/toolchain", Version: b.toolchain.ModVersion, Sum: b.toolchain.Sum})
		}
		if d, err := v1.NewHash(b.digest); err == nil {
			pv.BaseImages = append(pv.BaseImages, attest.Image{Name: label, Platform: k.Platform.String(), Digest: d})
		}
	}
	if p.scanner != nil {
		if d, err := v1.NewHash(strings.TrimPrefix(p.scanner.info.Image, "distill/trivy@")); err == nil {
			pv.Scanner = attest.Image{Name: "distill/trivy", Digest: d}
		}
		pv.ScannerVersion = p.scanner.info.Version
		info := p.scanner.db.Info
		pv.VulnDB = attest.VulnDB{Source: info.Source, Schema: info.Schema, UpdatedAt: info.UpdatedAt, SHA256: fileHash(filepath.Join(p.scanner.db.Dir, vulndb.DBFile))}
	}
	return attest.SLSA(pv)
}

func fileHash(path string) string {
	sum, err := fileSHA256(path)
	if err != nil {
		return ""
	}
	return sum
}

// gitDirty reports uncommitted changes in the project's work tree.
func gitDirty(dir string) bool {
	out, err := exec.Command("git", "-C", dir, "status", "--porcelain").Output()
	return err == nil && len(strings.TrimSpace(string(out))) > 0
}

// distillVersion is this binary's module version ("devel" for a source build).
func distillVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

// builderID identifies distill as the builder in provenance and vuln predicates.
func builderID() string { return "https://distill.dev/distill@" + distillVersion() }

// Published is one tag a run pushed.
type Published struct {
	Tag    string
	Digest v1.Hash
	Signed bool
	Tlog   bool
}
