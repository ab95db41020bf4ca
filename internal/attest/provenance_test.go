package attest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	provpb "github.com/in-toto/attestation/go/predicates/provenance/v1"
	slsa1 "github.com/in-toto/in-toto-golang/in_toto/slsa_provenance/v1"
	"golang.org/x/mod/sumdb/dirhash"
	"google.golang.org/protobuf/encoding/protojson"
)

func TestSLSAGolden(t *testing.T) {
	got, err := SLSA(testProvenance())
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "slsa.json", got)
}

// A reproducible provenance: no times, no invocation id, nothing scanned,
// outside Git.
func TestSLSAGoldenMinimal(t *testing.T) {
	got, err := SLSA(Provenance{
		BuilderID:  "https://distill.dev/distill@v0.3.0",
		Spec:       []byte(specJSON),
		Target:     "runtime",
		Platforms:  []string{"linux/amd64"},
		Source:     Source{URI: "/src/app"},
		BaseImages: []Image{{Name: "golang:1.26", Platform: "linux/amd64", Digest: hash("3")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "slsa-minimal.json", got)
	for _, field := range []string{"startedOn", "finishedOn", "invocationId", "byproducts", "internalParameters", "sourceDateEpoch"} {
		if bytes.Contains(got, []byte(`"`+field+`"`)) {
			t.Errorf("%s written though not given:\n%s", field, got)
		}
	}
}

// The predicate is in-toto-golang's SLSA v1 type (the one cosign reads a
// slsaprovenance1 predicate into): it decodes with no unknown field and
// encodes back to the same bytes.
func TestSLSARoundTripsInTotoGolang(t *testing.T) {
	got, err := SLSA(testProvenance())
	if err != nil {
		t.Fatal(err)
	}
	var p slsa1.ProvenancePredicate
	dec := json.NewDecoder(bytes.NewReader(got))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("decoding into slsa1.ProvenancePredicate: %v", err)
	}
	again, err := canonical(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, got) {
		t.Errorf("round trip through slsa1.ProvenancePredicate changed the predicate:\n%s\nwant:\n%s", again, got)
	}
	if p.BuildDefinition.BuildType != BuildTypePipeline || p.RunDetails.Builder.ID != "https://distill.dev/distill@v0.3.0" {
		t.Errorf("buildType %q, builder %q", p.BuildDefinition.BuildType, p.RunDetails.Builder.ID)
	}
	if p.RunDetails.Builder.Version["buildkit"] != "v0.34.2" {
		t.Errorf("builder.version = %v", p.RunDetails.Builder.Version)
	}
	if m := p.RunDetails.BuildMetadata; m.InvocationID != "run-4711" || !m.StartedOn.Equal(started) || !m.FinishedOn.Equal(finished) {
		t.Errorf("metadata = %+v", m)
	}
}

// The in-toto attestation framework's own validator accepts it: SLSA Build
// L1 fields present, every digest of the right encoding and length (the
// dirHash of a toolchain included).
func TestSLSAValidatesAsAttestationProvenance(t *testing.T) {
	for name, p := range map[string]Provenance{"full": testProvenance(), "minimal": {BuilderID: "b", Spec: []byte(`{}`)}} {
		got, err := SLSA(p)
		if err != nil {
			t.Fatal(err)
		}
		var pb provpb.Provenance
		if err := protojson.Unmarshal(got, &pb); err != nil {
			t.Fatalf("%s: protojson into provenance v1: %v", name, err)
		}
		if err := pb.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// The dependencies as a verifier sees them.
func TestSLSAResolvedDependencies(t *testing.T) {
	got, err := SLSA(testProvenance())
	if err != nil {
		t.Fatal(err)
	}
	var p slsa1.ProvenancePredicate
	if err := json.Unmarshal(got, &p); err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, rd := range p.BuildDefinition.ResolvedDependencies {
		algs := slices.Sorted(maps.Keys(rd.Digest))
		lines = append(lines, fmt.Sprintf("%s|%s|%s", rd.Name, rd.URI, strings.Join(algs, ",")))
	}
	want := []string{
		"source|git+https://example.com/distill-dev/app.git@0123456789abcdef0123456789abcdef01234567|gitCommit",
		"distill/go (go 1.26)||sha256",
		"distill/static|pkg:oci/static@sha256:" + hex64("3") + "?repository_url=distill%2Fstatic|sha256",
		"distill/static|pkg:oci/static@sha256:" + hex64("4") + "?repository_url=distill%2Fstatic|sha256",
		"|pkg:deb/debian/base-files@12.4%2Bdeb12u13?arch=amd64|sha256",
		"|pkg:deb/debian/base-files@12.4%2Bdeb12u13?arch=arm64|sha256",
		"|pkg:deb/debian/libc6@2.36-9%2Bdeb12u13?arch=amd64|sha256",
		"|pkg:deb/debian/tzdata@2026a-0%2Bdeb12u1?arch=all|sha256",
		"|pkg:deb/debian/zlib1g@1.2.13.dfsg-1?arch=amd64&epoch=1|sha256",
		"|pkg:golang/golang.org/toolchain@v0.0.1-go1.26.11.linux-amd64|dirHash",
		"distill/trivy:0.74.0|pkg:oci/trivy@sha256:" + hex64("2") + "?repository_url=distill%2Ftrivy&tag=0.74.0|sha256",
		"trivy.db||sha256",
	}
	if !slices.Equal(lines, want) {
		t.Errorf("resolvedDependencies:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	deps := p.BuildDefinition.ResolvedDependencies
	// tzdata is one .deb in three images: listed once, naming them all.
	tz := deps[7]
	if imgs, _ := tz.Annotations["images"].([]any); len(imgs) != 3 || imgs[0] != "distill/go (go 1.26) linux/amd64" {
		t.Errorf("tzdata annotations = %v", tz.Annotations)
	}
	// The toolchain's digest is the in-toto DigestSet spec's own example.
	tc := deps[9]
	if tc.Digest["dirHash"] != "2a1bb6127fb481c60f67692e22285fb306f3c6ffe62075e0ccf674d7c3adcb8f" || tc.Annotations["goSum"] != "h1:Khu2En+0gcYPZ2kuIihfswbzxv/mIHXgzPZ018Oty48=" {
		t.Errorf("toolchain = %+v", tc)
	}
	if _, ok := tc.Digest["sha256"]; ok {
		t.Errorf("toolchain has a sha256 digest, which would be taken for the zip's: %v", tc.Digest)
	}
	scanner := deps[10]
	if scanner.Annotations["role"] != "scanner" || scanner.Annotations["version"] != "0.74.0" {
		t.Errorf("scanner annotations = %v", scanner.Annotations)
	}
	db := deps[11]
	if db.Digest["sha256"] != hex64("6") || db.Annotations["schema"] != float64(2) || db.Annotations["updatedAt"] != "2026-11-05T23:49:57Z" {
		t.Errorf("vulnerability db = %+v", db)
	}
	var names []string
	for _, b := range p.RunDetails.Byproducts {
		names = append(names, b.Name+" "+b.Digest["sha256"][:1]+" "+b.MediaType)
	}
	if want := []string{"runtime.cdx.json 8 application/vnd.cyclonedx+json", "runtime.spdx.json 9 application/spdx+json", "runtime.vulns.json 7 application/json"}; !slices.Equal(names, want) {
		t.Errorf("byproducts = %q, want %q", names, want)
	}
}

// dirHash is the SHA-256 the h1: hash encodes: the hash of dirhash.Hash1's
// summary (one "<sha256>  <file>" line per file), not of any zip.
func TestDirHashIsTheSumOfTheDirhashSummary(t *testing.T) {
	files := map[string]string{
		"golang.org/toolchain@v0.0.1-go1.26.11.linux-amd64/go.mod":       "module golang.org/toolchain\n",
		"golang.org/toolchain@v0.0.1-go1.26.11.linux-amd64/bin/go":       "not really go",
		"golang.org/toolchain@v0.0.1-go1.26.11.linux-amd64/src/fmt/x.go": "package fmt\n",
	}
	names := slices.Sorted(maps.Keys(files))
	h1, err := dirhash.Hash1(names, func(name string) (io.ReadCloser, error) {
		return io.NopCloser(strings.NewReader(files[name])), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var summary strings.Builder
	for _, name := range names {
		fmt.Fprintf(&summary, "%x  %s\n", sha256.Sum256([]byte(files[name])), name)
	}
	want := sha256.Sum256([]byte(summary.String()))
	got, err := dirHashSet(h1)
	if err != nil {
		t.Fatal(err)
	}
	if got["dirHash"] != hex.EncodeToString(want[:]) {
		t.Errorf("dirHash of %s = %s, want %x", h1, got["dirHash"], want)
	}
}

// Inputs in any order give the same bytes: packages, toolchains, images,
// byproducts and secret ids are sorted, maps are written in key order.
func TestSLSADeterministic(t *testing.T) {
	want, err := SLSA(testProvenance())
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 25 {
		p := testProvenance()
		shuffle(rng, p.Packages)
		shuffle(rng, p.Toolchains)
		shuffle(rng, p.BaseImages)
		shuffle(rng, p.Byproducts)
		shuffle(rng, p.SecretIDs)
		p.Args = rebuild(rng, p.Args)
		p.Versions = rebuild(rng, p.Versions)
		// Duplicates change nothing either.
		p.Packages = append(p.Packages, p.Packages[rng.IntN(len(p.Packages))])
		p.Toolchains = append(p.Toolchains, p.Toolchains...)
		p.BaseImages = append(p.BaseImages, p.BaseImages[0])
		p.SecretIDs = append(p.SecretIDs, p.SecretIDs[0])
		// Times in another zone are the same instants.
		zone := time.FixedZone("UTC-7", -7*3600)
		p.StartedOn, p.FinishedOn = ptr(p.StartedOn.In(zone)), ptr(p.FinishedOn.In(zone))
		p.SourceDateEpoch = ptr(p.SourceDateEpoch.In(zone))
		got, err := SLSA(p)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("run %d differs:\n%s\nwant:\n%s", i, got, want)
		}
	}
	// The platforms' order is the image index's: it is kept.
	p := testProvenance()
	slices.Reverse(p.Platforms)
	got, err := SLSA(p)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(got, want) {
		t.Error("reordered platforms gave the same provenance")
	}
}

func shuffle[T any](rng *rand.Rand, s []T) {
	rng.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
}

// rebuild returns a copy of m built in a random order.
func rebuild(rng *rand.Rand, m map[string]string) map[string]string {
	keys := slices.Collect(maps.Keys(m))
	shuffle(rng, keys)
	out := make(map[string]string, len(m))
	for _, k := range keys {
		out[k] = m[k]
	}
	return out
}

func TestSLSAParameters(t *testing.T) {
	got, err := SLSA(testProvenance())
	if err != nil {
		t.Fatal(err)
	}
	var p struct {
		BuildDefinition struct {
			ExternalParameters struct {
				Spec            map[string]any    `json:"spec"`
				Target          string            `json:"target"`
				Platforms       []string          `json:"platforms"`
				Args            map[string]string `json:"args"`
				SecretIDs       []string          `json:"secretIds"`
				SourceDateEpoch int64             `json:"sourceDateEpoch"`
			} `json:"externalParameters"`
			InternalParameters map[string]any `json:"internalParameters"`
		} `json:"buildDefinition"`
	}
	if err := json.Unmarshal(got, &p); err != nil {
		t.Fatal(err)
	}
	ext := p.BuildDefinition.ExternalParameters
	if ext.Spec["name"] != "app" || ext.Target != "runtime" || !slices.Equal(ext.Platforms, []string{"linux/arm64", "linux/amd64"}) {
		t.Errorf("externalParameters = %+v", ext)
	}
	if ext.Args["LDFLAGS"] != "-s -w" || len(ext.Args) != 3 {
		t.Errorf("args = %v", ext.Args)
	}
	if !slices.Equal(ext.SecretIDs, []string{"netrc", "npmrc"}) {
		t.Errorf("secretIds = %v", ext.SecretIDs)
	}
	if ext.SourceDateEpoch != epoch.Unix() {
		t.Errorf("sourceDateEpoch = %d, want %d", ext.SourceDateEpoch, epoch.Unix())
	}
	if p.BuildDefinition.InternalParameters["buildPlatform"] != "linux/amd64" || len(p.BuildDefinition.InternalParameters) != 1 {
		t.Errorf("internalParameters = %v", p.BuildDefinition.InternalParameters)
	}
}

func TestSLSAErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*Provenance)
		want   string
	}{
		{"no builder", func(p *Provenance) { p.BuilderID = "" }, "builder id is required"},
		{"no spec", func(p *Provenance) { p.Spec = nil }, "spec: not a JSON object"},
		{"spec array", func(p *Provenance) { p.Spec = []byte(`["a"]`) }, "spec: not a JSON object"},
		{"spec trailing", func(p *Provenance) { p.Spec = []byte(`{} {}`) }, "spec: not a JSON object"},
		{"deb sha", func(p *Provenance) { p.Packages[5].SHA256 = "ABC" }, `package libc6 2.36-9+deb12u13 amd64: .deb sha256 "ABC": want 64 lowercase hex digits`},
		{"deb name", func(p *Provenance) { p.Packages[1].Name = "" }, "packages[1] ( 12.4+deb12u13 arm64): name, version and architecture are required"},
		{"toolchain sum", func(p *Provenance) { p.Toolchains[0].Sum = "sha256:abc" }, `toolchain golang.org/toolchain@v0.0.1-go1.26.11.linux-amd64: sum "sha256:abc": want a go.sum hash h1:<base64>`},
		{"toolchain short", func(p *Provenance) { p.Toolchains[0].Sum = "h1:AAAA" }, "want h1: and the base64 of 32 bytes"},
		{"toolchain conflict", func(p *Provenance) {
			p.Toolchains = append(p.Toolchains, Toolchain{Module: "golang.org/toolchain", Version: "v0.0.1-go1.26.11.linux-amd64", Sum: "h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="})
		}, "toolchain golang.org/toolchain@v0.0.1-go1.26.11.linux-amd64: two sums"},
		{"base digest", func(p *Provenance) { p.BaseImages[0].Digest.Hex = "123" }, `base image distill/static linux/amd64: digest "sha256:123"`},
		{"base algorithm", func(p *Provenance) { p.BaseImages[0].Digest.Algorithm = "md5" }, "want sha256:<64 hex digits>"},
		{"base name digest", func(p *Provenance) { p.BaseImages[0].Name = "distill/static@" + hash("f").String() }, "is named by digest sha256:ffff"},
		{"scanner no digest", func(p *Provenance) { p.Scanner.Digest = hash("") }, "scanner: digest"},
		{"scanner no name", func(p *Provenance) { p.Scanner.Name = "" }, "scanner: image sha256:2222"},
		{"scanner version only", func(p *Provenance) { p.Scanner = Image{} }, "scanner: an image name and digest are required"},
		{"db sha", func(p *Provenance) { p.VulnDB.SHA256 = "" }, `vulnerability database: trivy.db sha256 ""`},
		{"revision", func(p *Provenance) { p.Source.Revision = "HEAD" }, `source: revision "HEAD": want a full commit id`},
		{"relative source", func(p *Provenance) { p.Source.URI = "app" }, `source URI "app": want a Git remote or an absolute path`},
		{"byproduct name", func(p *Provenance) { p.Byproducts[0].Name = "" }, "byproduct sha256:7777"},
		{"byproduct twice", func(p *Provenance) { p.Byproducts[0].Name = "runtime.cdx.json" }, "byproduct runtime.cdx.json: listed twice"},
		{"backwards", func(p *Provenance) { p.StartedOn, p.FinishedOn = p.FinishedOn, p.StartedOn }, "finished (2026-11-27T12:00:00Z) before it started (2026-11-27T12:00:41.25Z)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := testProvenance()
			tc.change(&p)
			_, err := SLSA(p)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "slsa provenance: ") {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestSourceDescriptor(t *testing.T) {
	const rev = "0123456789abcdef0123456789abcdef01234567"
	for _, tc := range []struct {
		src  Source
		uri  string
		name string
	}{
		{Source{URI: "https://example.com/org/app.git", Revision: rev}, "git+https://example.com/org/app.git@" + rev, "source"},
		{Source{URI: "git+https://example.com/org/app.git", Revision: rev}, "git+https://example.com/org/app.git@" + rev, "source"},
		{Source{URI: "https://ci-token:glpat-s3cr3t@example.com/org/app.git?private_token=t0k3n#frag", Revision: rev}, "git+https://example.com/org/app.git@" + rev, "source"},
		{Source{URI: "ssh://git@example.com:2222/org/app.git", Revision: rev}, "git+ssh://example.com:2222/org/app.git@" + rev, "source"},
		{Source{URI: "git@example.com:org/app.git", Revision: rev}, "git+ssh://example.com/org/app.git@" + rev, "source"},
		{Source{URI: "example.com:org/app.git", Revision: rev}, "git+ssh://example.com/org/app.git@" + rev, "source"},
		{Source{URI: "/src/app", Revision: rev}, "git+file:///src/app@" + rev, "source"},
		{Source{URI: "/src/app/../app"}, "file:///src/app", "source"},
		{Source{Revision: rev}, "", "source"},
	} {
		rd, err := sourceDescriptor(tc.src)
		if err != nil {
			t.Errorf("%+v: %v", tc.src, err)
			continue
		}
		if rd.URI != tc.uri || rd.Name != tc.name {
			t.Errorf("%+v: uri %q name %q, want %q %q", tc.src, rd.URI, rd.Name, tc.uri, tc.name)
		}
		if (tc.src.Revision != "") != (rd.Digest["gitCommit"] == tc.src.Revision && len(rd.Digest) == 1) {
			t.Errorf("%+v: digest %v", tc.src, rd.Digest)
		}
	}
	rd, err := sourceDescriptor(Source{})
	if rd != nil || err != nil {
		t.Errorf("no source: %+v, %v; want nothing", rd, err)
	}
	rd, err = sourceDescriptor(Source{URI: "https://example.com/org/app.git", Revision: rev, Dirty: true})
	if err != nil || rd.Annotations["dirty"] != true {
		t.Errorf("dirty source: %+v, %v", rd, err)
	}
}

func TestOCIPURL(t *testing.T) {
	d := hash("a").String()
	for _, tc := range []struct{ name, want string }{
		{"golang:1.26", "pkg:oci/golang@" + d + "?tag=1.26"},
		{"distill/static", "pkg:oci/static@" + d + "?repository_url=distill%2Fstatic"},
		{"distill/static:debug", "pkg:oci/static@" + d + "?repository_url=distill%2Fstatic&tag=debug"},
		{"example.com:5000/org/app:v1@" + d, "pkg:oci/app@" + d + "?repository_url=example.com:5000%2Forg%2Fapp&tag=v1"},
		{"distill/go (go 1.26)", ""},
		{"Upper/Case", ""},
	} {
		got, err := ociPURL(tc.name, d)
		if err != nil || got != tc.want {
			t.Errorf("ociPURL(%q) = %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
}

func TestDebPURL(t *testing.T) {
	for _, tc := range []struct{ name, version, arch, want string }{
		{"libc6", "2.36-9+deb12u13", "amd64", "pkg:deb/debian/libc6@2.36-9%2Bdeb12u13?arch=amd64"},
		{"zlib1g", "1:1.2.13.dfsg-1", "arm64", "pkg:deb/debian/zlib1g@1.2.13.dfsg-1?arch=arm64&epoch=1"},
		{"tzdata", "0:2026a-0", "all", "pkg:deb/debian/tzdata@2026a-0?arch=all"},
	} {
		if got := debPURL(tc.name, tc.version, tc.arch); got != tc.want {
			t.Errorf("debPURL(%s %s %s) = %s, want %s", tc.name, tc.version, tc.arch, got, tc.want)
		}
	}
}
