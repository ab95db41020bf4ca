package attest

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	slsa1 "github.com/in-toto/in-toto-golang/in_toto/slsa_provenance/v1"
)

// BuildTypePipeline is the build type of a distill pipeline run: its
// externalParameters are [Provenance]'s spec, target, platforms, args,
// secretIds and sourceDateEpoch.
const BuildTypePipeline = "https://distill.dev/buildtypes/pipeline/v1"

// Provenance is what distill knows about a build, for [SLSA]. Lists may come
// in any order; SLSA sorts them.
type Provenance struct {
	// BuilderID identifies the builder: "https://distill.dev/distill@v0.3.0".
	// Required.
	BuilderID string
	// BuildType defaults to [BuildTypePipeline].
	BuildType string
	// InvocationID identifies this run (a CI run's id or page); optional.
	InvocationID string

	// Spec is the pipeline Spec as JSON, with defaults applied: a JSON object.
	// Required.
	Spec []byte
	// Target is the stage built: "runtime", "test", "build".
	Target string
	// Platforms are the target platforms, in the order the image index lists
	// them (the order is kept).
	Platforms []string
	// Args are the build arguments. They are written into the provenance:
	// never put a secret here, offer it as a BuildKit secret and list its id
	// in SecretIDs.
	Args map[string]string
	// SecretIDs are the ids of the BuildKit secrets offered to the build.
	// Provenance holds no secret values, and has nowhere to put one.
	SecretIDs []string
	// SourceDateEpoch is the SOURCE_DATE_EPOCH the build used, written as
	// Unix seconds when set.
	SourceDateEpoch *time.Time
	// BuildPlatform is the platform the build ran on ("linux/amd64"), an
	// internal parameter; optional.
	BuildPlatform string

	// Source is what was built.
	Source Source
	// Packages are the Debian packages of every base image distill
	// assembled. A package in several images is listed once, naming them all.
	Packages []Package
	// Toolchains are the Go toolchain modules of the base images.
	Toolchains []Toolchain
	// BaseImages are the base images used, one per image and platform.
	BaseImages []Image
	// Scanner is the scanner's image and ScannerVersion its version
	// ("0.74.0"); both empty when nothing was scanned.
	Scanner        Image
	ScannerVersion string
	// VulnDB is the vulnerability database the scans used; zero when
	// nothing was scanned.
	VulnDB VulnDB

	// Byproducts are the files made besides the image: the SBOMs and
	// vulnerability reports, by digest, so that a verifier can tie the SBOM
	// and vulnerability attestations to this provenance.
	Byproducts []Byproduct
	// Versions are the versions of the builder's parts: "distill", "buildkit".
	Versions map[string]string
	// StartedOn and FinishedOn are the run's times, written only when set:
	// leave them nil for a reproducible provenance.
	StartedOn, FinishedOn *time.Time
}

// Source is the source a build read.
type Source struct {
	// URI is the Git remote ("https://example.com/org/app.git",
	// "git@example.com:org/app.git") or, outside Git, the absolute path of the
	// project directory. User names and passwords in it are dropped.
	URI string
	// Revision is the full commit id checked out; empty outside Git.
	Revision string
	// Dirty is set when the work tree had changes not in Revision: the
	// commit then does not describe the source (the provenance says so).
	Dirty bool
}

// Package is a Debian binary package installed in a base image.
type Package struct {
	Name    string // "libc6"
	Version string // as dpkg writes it, with the epoch: "1:2.36-9+deb12u4"
	Arch    string // "amd64"
	SHA256  string // of the .deb, lowercase hex
	Image   string // the base image it is in: "distill/static linux/amd64"
}

// Toolchain is a Go toolchain module zip.
type Toolchain struct {
	Module  string // "golang.org/toolchain"
	Version string // "v0.0.1-go1.26.11.linux-amd64"
	Sum     string // go.sum hash: "h1:…"
}

// Image is an image used by the build.
type Image struct {
	// Name is the image reference ("golang:1.26", "distill/static:debug"),
	// which becomes a pkg:oci purl, or any other label
	// ("distill/go (go 1.26)"), written as the descriptor's name only.
	Name     string
	Platform string // "linux/amd64"; optional
	Digest   v1.Hash
}

// VulnDB is the vulnerability database, from internal/vulndb's Info and the
// trivy.db file.
type VulnDB struct {
	Source    string // "go-vulndb golang.org/x/vulndb@v0.0.0-…", "trivy-db REPOSITORY", …
	Schema    int
	UpdatedAt time.Time
	SHA256    string // of trivy.db, lowercase hex
}

func (d VulnDB) isZero() bool {
	return d.Source == "" && d.Schema == 0 && d.UpdatedAt.IsZero() && d.SHA256 == ""
}

// Byproduct is a file the build made besides the image.
type Byproduct struct {
	Name      string // "runtime.cdx.json", "runtime.spdx.json", "runtime.vulns.json"
	Digest    v1.Hash
	MediaType string // "application/vnd.cyclonedx+json", …; optional
}

// externalParameters are the parameters of [BuildTypePipeline] that the
// user controls.
type externalParameters struct {
	Spec            json.RawMessage   `json:"spec"`
	Target          string            `json:"target,omitempty"`
	Platforms       []string          `json:"platforms,omitempty"`
	Args            map[string]string `json:"args,omitempty"`
	SecretIDs       []string          `json:"secretIds,omitempty"`
	SourceDateEpoch *int64            `json:"sourceDateEpoch,omitempty"`
}

// internalParameters are the parameters distill decides.
type internalParameters struct {
	BuildPlatform string `json:"buildPlatform,omitempty"`
}

// SLSA builds the SLSA provenance v1 predicate ([PredicateSLSA]) of a build:
//
//   - buildDefinition: buildType; externalParameters {spec, target,
//     platforms, args, secretIds, sourceDateEpoch}; internalParameters
//     {buildPlatform}; resolvedDependencies: the source, the base images,
//     their Debian packages, the Go toolchains, the scanner image and the
//     vulnerability database (see [Provenance]);
//   - runDetails: builder {id, version}, metadata {invocationId, startedOn,
//     finishedOn} with only what was given (an empty object when nothing
//     was: in-toto-golang's type always writes it), and the byproducts.
//
// Dependencies are listed by kind in that order, each kind sorted; the
// output depends on the inputs only, not on their order (except Platforms,
// whose order is the image index's).
func SLSA(p Provenance) ([]byte, error) {
	out, err := slsa(p)
	if err != nil {
		return nil, fmt.Errorf("slsa provenance: %w", err)
	}
	return out, nil
}

func slsa(p Provenance) ([]byte, error) {
	if p.BuilderID == "" {
		return nil, errors.New("builder id is required")
	}
	if p.BuildType == "" {
		p.BuildType = BuildTypePipeline
	}
	spec, err := jsonObject(p.Spec)
	if err != nil {
		return nil, fmt.Errorf("spec: %w", err)
	}
	ext := externalParameters{
		Spec:      spec,
		Target:    p.Target,
		Platforms: p.Platforms,
		Args:      p.Args,
		SecretIDs: sortedSet(p.SecretIDs),
	}
	if p.SourceDateEpoch != nil {
		sec := p.SourceDateEpoch.Unix()
		ext.SourceDateEpoch = &sec
	}
	deps, err := resolvedDependencies(p)
	if err != nil {
		return nil, err
	}
	byproducts, err := byproducts(p.Byproducts)
	if err != nil {
		return nil, err
	}
	meta, err := buildMetadata(p)
	if err != nil {
		return nil, err
	}
	pred := slsa1.ProvenancePredicate{
		BuildDefinition: slsa1.ProvenanceBuildDefinition{
			BuildType:            p.BuildType,
			ExternalParameters:   ext,
			ResolvedDependencies: deps,
		},
		RunDetails: slsa1.ProvenanceRunDetails{
			Builder:       slsa1.Builder{ID: p.BuilderID, Version: p.Versions},
			BuildMetadata: meta,
			Byproducts:    byproducts,
		},
	}
	if p.BuildPlatform != "" {
		pred.BuildDefinition.InternalParameters = internalParameters{BuildPlatform: p.BuildPlatform}
	}
	return canonical(pred)
}

// buildMetadata is runDetails.metadata: only what was given.
func buildMetadata(p Provenance) (slsa1.BuildMetadata, error) {
	m := slsa1.BuildMetadata{InvocationID: p.InvocationID}
	if p.StartedOn != nil {
		t := p.StartedOn.UTC()
		m.StartedOn = &t
	}
	if p.FinishedOn != nil {
		t := p.FinishedOn.UTC()
		m.FinishedOn = &t
	}
	if m.StartedOn != nil && m.FinishedOn != nil && m.FinishedOn.Before(*m.StartedOn) {
		return m, fmt.Errorf("finished (%s) before it started (%s)", m.FinishedOn.Format(time.RFC3339Nano), m.StartedOn.Format(time.RFC3339Nano))
	}
	return m, nil
}

// byproducts are runDetails.byproducts, sorted by name.
func byproducts(in []Byproduct) ([]slsa1.ResourceDescriptor, error) {
	var out []slsa1.ResourceDescriptor
	seen := map[string]bool{}
	for _, b := range in {
		if b.Name == "" {
			return nil, fmt.Errorf("byproduct %s: a name is required", b.Digest)
		}
		if seen[b.Name] {
			return nil, fmt.Errorf("byproduct %s: listed twice", b.Name)
		}
		seen[b.Name] = true
		d, err := hashSet(b.Digest)
		if err != nil {
			return nil, fmt.Errorf("byproduct %s: %w", b.Name, err)
		}
		out = append(out, slsa1.ResourceDescriptor{Name: b.Name, Digest: d, MediaType: b.MediaType})
	}
	slices.SortFunc(out, func(a, b slsa1.ResourceDescriptor) int { return cmp.Compare(a.Name, b.Name) })
	return out, nil
}

// sortedSet returns the distinct strings of in, sorted; nil for none.
func sortedSet(in []string) []string {
	if len(in) == 0 {
		return nil
	}
	set := map[string]bool{}
	for _, s := range in {
		set[s] = true
	}
	return slices.Sorted(maps.Keys(set))
}
