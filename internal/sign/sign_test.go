package sign

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/cosign/v2/pkg/oci"
	ocilayout "github.com/sigstore/cosign/v2/pkg/oci/layout"
	"github.com/sigstore/sigstore-go/pkg/root"
)

func TestKeys(t *testing.T) {
	ctx := context.Background()
	k := newKeys(t)
	if !bytes.Contains(k.privPEM, []byte("ENCRYPTED SIGSTORE PRIVATE KEY")) || bytes.Contains(k.privPEM, []byte(testPassword)) {
		t.Fatalf("private key is not an encrypted sigstore key:\n%s", k.privPEM)
	}
	if _, err := LoadSigner(ctx, k.privPath, staticPass("wrong")); err == nil || !strings.Contains(err.Error(), "wrong password") {
		t.Fatalf("wrong password: got %v", err)
	}
	if _, err := LoadSigner(ctx, k.privPath, func() ([]byte, error) { return nil, errors.New("no terminal") }); err == nil || !strings.Contains(err.Error(), "no terminal") {
		t.Fatalf("failing PassFunc: got %v", err)
	}
	if _, err := LoadVerifier(ctx, k.privPath); err == nil || !strings.Contains(err.Error(), "private key") {
		t.Fatalf("LoadVerifier of a private key: got %v", err)
	}

	// env://: the PEM in a variable.
	t.Setenv("DISTILL_TEST_SIGNING_KEY", string(k.privPEM))
	t.Setenv("DISTILL_TEST_PUBLIC_KEY", string(k.pubPEM))
	sv, err := LoadSigner(ctx, "env://DISTILL_TEST_SIGNING_KEY", staticPass(testPassword))
	if err != nil {
		t.Fatal(err)
	}
	v, err := LoadVerifier(ctx, "env://DISTILL_TEST_PUBLIC_KEY")
	if err != nil {
		t.Fatal(err)
	}
	sig, err := sv.SignMessage(strings.NewReader("hello"))
	if err != nil {
		t.Fatal(err)
	}
	if err := v.VerifySignature(bytes.NewReader(sig), strings.NewReader("hello")); err != nil {
		t.Fatalf("env:// key pair does not verify: %v", err)
	}
	if err := k.v.VerifySignature(bytes.NewReader(sig), strings.NewReader("hello")); err != nil {
		t.Fatalf("file and env:// keys differ: %v", err)
	}
	_, err = LoadSigner(ctx, "env://DISTILL_TEST_UNSET_VARIABLE", staticPass(testPassword))
	if err == nil || !strings.Contains(err.Error(), "DISTILL_TEST_UNSET_VARIABLE is not set") {
		t.Fatalf("unset variable: got %v", err)
	}
	if _, err := LoadSigner(ctx, "k8s://ns/secret", nil); err == nil || !strings.Contains(err.Error(), `unsupported scheme "k8s"`) {
		t.Fatalf("unknown scheme: got %v", err)
	}
	// Another key pair does not verify the first one's signature.
	priv2, pub2, err := GenerateKeyPair([]byte(testPassword))
	if err != nil {
		t.Fatal(err)
	}
	k2 := writeKeys(t, priv2, pub2)
	if err := k2.v.VerifySignature(bytes.NewReader(sig), strings.NewReader("hello")); err == nil {
		t.Fatal("another key verified the signature")
	}
}

// TestSignPublishVerify signs an image and a two-platform index with all
// four attestation types, publishes them with cosign's tags and as
// referrers, and verifies them.
func TestSignPublishVerify(t *testing.T) {
	ctx := context.Background()
	k := newKeys(t)
	reg := newRegistry(t)
	for _, tc := range []struct {
		name      string
		entity    any
		referrers bool
	}{
		{"image/tags", randomImage(t), false},
		{"image/referrers", randomImage(t), true},
		{"index/tags", twoPlatformIndex(t), false},
		{"index/referrers", twoPlatformIndex(t), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			repo := reg.repo(t, "app-"+strings.ReplaceAll(tc.name, "/", "-"))
			tag := repo.Tag("v1")
			se, err := Sign(ctx, tc.entity, repo, attestEverything(t, tc.entity, "HIGH"), Options{Signer: k.sv})
			if err != nil {
				t.Fatal(err)
			}
			h, err := Publish(ctx, tag, se, PublishOptions{Referrers: tc.referrers, Remote: ropts})
			if err != nil {
				t.Fatal(err)
			}
			if h != digestOf(t, se) || tagDigest(t, tag) != h {
				t.Fatalf("published %s, tag at %s, want %s", h, tagDigest(t, tag), digestOf(t, se))
			}
			res, err := Verify(ctx, tag, verifyOpts(k, tc.referrers))
			mustPass(t, res, err)
			want := []string{"signature", "signature identity", "attestation cyclonedx", "attestation spdxjson", "attestation vuln", "attestation slsaprovenance1", "SBOM digest matches", "max severity", "max age"}
			if _, ok := tc.entity.(v1.ImageIndex); ok {
				// The index: its signature and, for the SBOMs and the
				// vulnerability report, those of each platform image.
				more := slices.Clone(want[:6])
				for _, p := range []string{"linux/amd64", "linux/arm64"} {
					for _, n := range want {
						more = append(more, n+" ("+p+")")
					}
				}
				want = more
				if d := res.Checks[2].Detail; d != "on each of the 2 platform images" {
					t.Errorf("index attestation cyclonedx: %q", d)
				}
			}
			want = append(want, "transparency log")
			var got []string
			for _, c := range res.Checks {
				got = append(got, c.Name)
			}
			if strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("checks:\n got %q\nwant %q", got, want)
			}
			last := res.Checks[len(res.Checks)-1]
			if last.Detail != "not checked (offline)" {
				t.Errorf("transparency log: %q", last.Detail)
			}
			// By digest too, and every platform image on its own.
			res, err = Verify(ctx, repo.Digest(h.String()), verifyOpts(k, tc.referrers))
			mustPass(t, res, err)
			if ii, ok := se.(oci.SignedImageIndex); ok {
				im, err := ii.IndexManifest()
				if err != nil {
					t.Fatal(err)
				}
				for _, d := range im.Manifests {
					if !isPlatformChild(d) {
						continue
					}
					res, err := Verify(ctx, repo.Digest(d.Digest.String()), verifyOpts(k, tc.referrers))
					mustPass(t, res, err)
				}
			}
			// Publishing again writes nothing but the tag.
			before := len(reg.written())
			if _, err := Publish(ctx, tag, se, PublishOptions{Referrers: tc.referrers, Remote: ropts}); err != nil {
				t.Fatal(err)
			}
			for _, b := range reg.written()[before:] {
				if bytes.Contains(b, []byte(`"subject"`)) && !tc.referrers {
					t.Errorf("republishing wrote a referrer: %s", b)
				}
			}
			res, err = Verify(ctx, tag, verifyOpts(k, tc.referrers))
			mustPass(t, res, err)
			for _, c := range res.Checks {
				if c.Name == "signature" && !strings.HasPrefix(c.Detail, "1 of 1 ") {
					t.Errorf("republishing duplicated signatures: %s", c.Detail)
				}
			}
		})
	}
}

// TestVerifyPolicies: the vulnerability report's severity and age, and the
// provenance's SBOM digests.
func TestVerifyPolicies(t *testing.T) {
	ctx := context.Background()
	k := newKeys(t)
	reg := newRegistry(t)
	publish := func(t *testing.T, atts []Attestation) name.Tag {
		t.Helper()
		img := randomImage(t)
		repo := reg.repo(t, "policy")
		tag := repo.Tag(strings.ReplaceAll(t.Name(), "/", "-"))
		se, err := Sign(ctx, img, repo, map[v1.Hash][]Attestation{digestOf(t, img): atts}, Options{Signer: k.sv})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Publish(ctx, tag, se, PublishOptions{Remote: ropts}); err != nil {
			t.Fatal(err)
		}
		return tag
	}
	t.Run("critical finding", func(t *testing.T) {
		tag := publish(t, allAttestations("CRITICAL"))
		res, err := Verify(ctx, tag, verifyOpts(k, false))
		mustFail(t, res, err, "max severity", "1 open findings above HIGH: CVE-0000-0001 CRITICAL in bash")
		o := verifyOpts(k, false)
		o.MaxSeverity = "CRITICAL"
		res, err = Verify(ctx, tag, o)
		mustPass(t, res, err)
	})
	t.Run("suppressed and lower findings pass", func(t *testing.T) {
		tag := publish(t, allAttestations("LOW"))
		o := verifyOpts(k, false)
		o.MaxSeverity = "medium"
		res, err := Verify(ctx, tag, o)
		mustPass(t, res, err)
		for _, c := range res.Checks {
			if c.Name == "max severity" && c.Detail != "highest open severity LOW, not above MEDIUM (1 open, 1 suppressed)" {
				t.Errorf("max severity: %q", c.Detail)
			}
		}
	})
	t.Run("old scan", func(t *testing.T) {
		tag := publish(t, allAttestations("LOW"))
		o := verifyOpts(k, false)
		o.MaxAge = time.Hour
		res, err := Verify(ctx, tag, o)
		mustFail(t, res, err, "max age", "2h0m0s ago: more than 1h0m0s")
	})
	t.Run("newest scan counts", func(t *testing.T) {
		atts := append(allAttestations("CRITICAL"), Attestation{PredicateType: "vuln", Predicate: []byte(fakeVulnPredicate("LOW", scanTime.Add(time.Hour)))})
		tag := publish(t, atts)
		o := verifyOpts(k, false)
		o.MaxAge = 90 * time.Minute
		res, err := Verify(ctx, tag, o)
		mustPass(t, res, err)
	})
	t.Run("sbom digest mismatch", func(t *testing.T) {
		atts := allAttestations("LOW")
		atts[3].Predicate = []byte(provenance(PredicateDigest([]byte(sbomSPDX)), PredicateDigest([]byte(sbomSPDX))))
		tag := publish(t, atts)
		res, err := Verify(ctx, tag, verifyOpts(k, false))
		mustFail(t, res, err, "SBOM digest matches", "sbom.cdx.json: the provenance lists sha256:"+PredicateDigest([]byte(sbomSPDX)).Hex+", the cyclonedx attestation hashes to "+PredicateDigest([]byte(sbomCDX)).String())
	})
	t.Run("sbom file digest with newline", func(t *testing.T) {
		// A provenance giving the SHA-256 of the SBOM file as written
		// (indented, final newline) matches too.
		atts := allAttestations("LOW")
		fileSum := v1.Hash{Algorithm: "sha256", Hex: sha256Hex([]byte(strings.TrimSpace(sbomCDX) + "\n"))}
		atts[3].Predicate = []byte(provenance(fileSum, PredicateDigest([]byte(sbomSPDX))))
		tag := publish(t, atts)
		res, err := Verify(ctx, tag, verifyOpts(k, false))
		mustPass(t, res, err)
	})
	t.Run("missing attestation", func(t *testing.T) {
		tag := publish(t, allAttestations("LOW")[:2])
		res, err := Verify(ctx, tag, verifyOpts(k, false))
		mustFail(t, res, err, "attestation vuln", "none found")
		mustFail(t, res, err, "max severity", "no valid vuln attestation")
	})
	t.Run("not a distill report", func(t *testing.T) {
		atts := allAttestations("LOW")
		atts[2].Predicate = []byte(strings.Replace(string(atts[2].Predicate), "distill.dev/scan/v1", "trivy", 1))
		tag := publish(t, atts)
		res, err := Verify(ctx, tag, verifyOpts(k, false))
		mustFail(t, res, err, "max severity", `report has schema "trivy"`)
	})
}

// TestVerifyTlogRequired: without Offline, an offline signature does not
// verify, and Verify says why.
func TestVerifyTlogRequired(t *testing.T) {
	ctx := context.Background()
	k := newKeys(t)
	reg := newRegistry(t)
	img := randomImage(t)
	repo := reg.repo(t, "tlog")
	se, err := Sign(ctx, img, repo, nil, Options{Signer: k.sv})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Publish(ctx, repo.Tag("v1"), se, PublishOptions{Remote: ropts}); err != nil {
		t.Fatal(err)
	}
	tr, err := root.NewTrustedRootFromJSON([]byte(minimalTrustedRoot))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Verify(ctx, repo.Tag("v1"), VerifyOptions{Key: k.v, TrustedMaterial: tr, Remote: ropts})
	mustFail(t, res, err, "transparency log", "1 signatures or attestations have no transparency log entry")
	mustFail(t, res, err, "signature", "no transparency log entry")
	if !errors.Is(err, ErrVerificationFailed) {
		t.Fatalf("error %v is not ErrVerificationFailed", err)
	}
}

func TestSignErrors(t *testing.T) {
	ctx := context.Background()
	k := newKeys(t)
	repo, _ := name.NewRepository("127.0.0.1:1/app")
	img := randomImage(t)
	if _, err := Sign(ctx, "not an image", repo, nil, Options{Signer: k.sv}); err == nil {
		t.Error("signed a string")
	}
	if _, err := Sign(ctx, img, repo, nil, Options{}); err == nil || !strings.Contains(err.Error(), "nothing to sign with") {
		t.Errorf("no signer: %v", err)
	}
	other := digestOf(t, randomImage(t))
	_, err := Sign(ctx, img, repo, map[v1.Hash][]Attestation{other: allAttestations("LOW")}, Options{Signer: k.sv})
	if err == nil || !strings.Contains(err.Error(), "neither the image nor one of its platform images") {
		t.Errorf("attestation for another digest: %v", err)
	}
	_, err = Sign(ctx, img, repo, map[v1.Hash][]Attestation{digestOf(t, img): {{PredicateType: "cyclonedx", Predicate: []byte("{not json")}}}, Options{Signer: k.sv})
	if err == nil || !strings.Contains(err.Error(), "not valid JSON") {
		t.Errorf("bad predicate: %v", err)
	}
	_, err = Sign(ctx, img, repo, map[v1.Hash][]Attestation{digestOf(t, img): {{PredicateType: "sbom", Predicate: []byte("{}")}}}, Options{Signer: k.sv})
	if err == nil || !strings.Contains(err.Error(), `predicate type "sbom"`) {
		t.Errorf("bad predicate type: %v", err)
	}
	// Nothing reached a registry: there is none at 127.0.0.1:1, and
	// signing succeeded.
	if _, err := Sign(ctx, img, repo, map[v1.Hash][]Attestation{digestOf(t, img): allAttestations("LOW")}, Options{Signer: k.sv}); err != nil {
		t.Fatal(err)
	}
	// Verify needs something to verify against.
	if _, err := Verify(ctx, repo.Tag("v1"), VerifyOptions{Offline: true, Remote: []remote.Option{}}); err == nil || !strings.Contains(err.Error(), "nothing to verify against") {
		t.Errorf("verify without key: %v", err)
	}
}

// TestCosignLayout: what Sign returns is a cosign signed entity that
// cosign's own layout writer takes, and that cosign verifies there
// (`cosign verify --local-image`, `cosign load`).
func TestCosignLayout(t *testing.T) {
	ctx := context.Background()
	k := newKeys(t)
	img := randomImage(t)
	repo, err := name.NewRepository("127.0.0.1:1/app")
	if err != nil {
		t.Fatal(err)
	}
	se, err := Sign(ctx, img, repo, attestEverything(t, img, "LOW"), Options{Signer: k.sv})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := ocilayout.WriteSignedImage(dir, se.(oci.SignedImage)); err != nil {
		t.Fatal(err)
	}
	co := &cosign.CheckOpts{SigVerifier: k.v, IgnoreTlog: true, ClaimVerifier: cosign.SimpleClaimVerifier}
	if _, _, err := cosign.VerifyLocalImageSignatures(ctx, dir, co); err != nil {
		t.Fatal(err)
	}
	co.ClaimVerifier = cosign.IntotoSubjectClaimVerifier
	atts, _, err := cosign.VerifyLocalImageAttestations(ctx, dir, co)
	if err != nil || len(atts) != 4 {
		t.Fatalf("%d attestations verified: %v", len(atts), err)
	}
}

// An index passes a required type only when every platform image has it:
// the index's check and the platform image's fail, naming the type.
func TestVerifyIndexNeedsEachPlatformAttested(t *testing.T) {
	ctx := context.Background()
	k := newKeys(t)
	reg := newRegistry(t)
	idx := twoPlatformIndex(t)
	atts := attestEverything(t, idx, "HIGH")
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	arm := im.Manifests[1].Digest
	atts[arm] = slices.DeleteFunc(atts[arm], func(a Attestation) bool { return a.PredicateType == "cyclonedx" })
	repo := reg.repo(t, "index-partly-attested")
	se, err := Sign(ctx, idx, repo, atts, Options{Signer: k.sv})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Publish(ctx, repo.Tag("v1"), se, PublishOptions{Remote: ropts}); err != nil {
		t.Fatal(err)
	}
	res, err := Verify(ctx, repo.Tag("v1"), verifyOpts(k, false))
	if !errors.Is(err, ErrVerificationFailed) {
		t.Fatalf("verify: %v\n%v", err, res)
	}
	var failed []string
	for _, c := range res.Failed() {
		failed = append(failed, c.Name)
	}
	platform := platformString(im.Manifests[1].Platform)
	want := []string{"attestation cyclonedx", "attestation cyclonedx (" + platform + ")", "SBOM digest matches (" + platform + ")"}
	if !slices.Equal(failed, want) {
		t.Errorf("failed checks %q, want %q", failed, want)
	}
}
