package sign

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/cosign/v2/pkg/oci"
	ocilayout "github.com/sigstore/cosign/v2/pkg/oci/layout"

	"github.com/distill-dev/distill/test/harness"
)

// cosignCLI is the pinned cosign CLI (see harness.Cosign) with a test key pair.
type cosignCLI struct {
	*harness.Cosign
	pub, priv string
}

func newCosignCLI(t *testing.T, k *testKeys) *cosignCLI {
	t.Helper()
	return &cosignCLI{Cosign: harness.NewCosign(t), pub: k.pubPath, priv: k.privPath}
}

func (c *cosignCLI) run(t *testing.T, password string, args ...string) (int, string, string) {
	t.Helper()
	return c.Run(t, password, args...)
}

func (c *cosignCLI) verify(t *testing.T, ref string, referrers bool) (int, string, string) {
	t.Helper()
	return c.Verify(t, c.pub, ref, referrers)
}

func (c *cosignCLI) verifyAttestation(t *testing.T, ref, typ string, referrers bool) (int, string, string) {
	t.Helper()
	return c.VerifyAttestation(t, c.pub, ref, typ, referrers)
}

// removeAttestations deletes the attestations of p's image from the
// registry, leaving its signature.
func removeAttestations(t *testing.T, p *published, referrers bool) {
	t.Helper()
	if !referrers {
		if err := remote.Delete(p.repo.Tag(tagFor(p.digest, "att")), ropts...); err != nil {
			t.Fatal(err)
		}
		return
	}
	refs, err := referrers_(p.repo, p.digest)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range refs {
		if d.ArtifactType != sigArtifactType {
			if err := remote.Delete(p.repo.Digest(d.Digest.String()), ropts...); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func mustRC(t *testing.T, want int, what string, rc int, stdout, stderr string) {
	t.Helper()
	harness.CosignRC(t, want, what, rc, stdout, stderr)
}

// TestCosignInterop: the cosign CLI verifies what Sign and Publish wrote,
// rejects it after tampering, and what cosign signs with a key from
// GenerateKeyPair, Verify accepts.
func TestCosignInterop(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the cosign CLI")
	}
	ctx := context.Background()
	k := newKeys(t)
	c := newCosignCLI(t, k)
	reg := newRegistry(t)

	for _, mode := range []struct {
		name      string
		referrers bool
	}{{"tags", false}, {"referrers", true}} {
		t.Run(mode.name, func(t *testing.T) {
			p := publishSigned(t, reg, k, "interop-"+mode.name, twoPlatformIndex(t), mode.referrers)
			refs := []string{p.tag.String(), p.repo.Digest(p.platforms["linux/amd64"].String()).String(), p.repo.Digest(p.platforms["linux/arm64"].String()).String()}
			for _, ref := range refs {
				rc, out, errOut := c.verify(t, ref, mode.referrers)
				mustRC(t, 0, "verify "+ref, rc, out, errOut)
				if rc == 0 && !strings.Contains(out, `"docker-reference":"`+p.repo.Name()) {
					t.Errorf("verify %s: no docker-reference %s in %s", ref, p.repo.Name(), out)
				}
				types := requireAll
				if ref == p.tag.String() {
					types = []string{"slsaprovenance1"} // the index's own; the SBOMs describe the platform images
				}
				for _, typ := range types {
					rc, out, errOut := c.verifyAttestation(t, ref, typ, mode.referrers)
					mustRC(t, 0, "verify-attestation --type "+typ+" "+ref, rc, out, errOut)
				}
			}
			other := newCosignCLI(t, otherKeys(t))
			rc, out, errOut := other.verify(t, p.tag.String(), mode.referrers)
			if mode.referrers {
				// cosign reads the attestation bundles (see below) and
				// fails with its generic exit code.
				mustRC(t, 1, "verify with another key", rc, out, errOut)
			} else {
				mustRC(t, 12, "verify with another key", rc, out, errOut)
			}

			// Tampering with a signature: cosign's verdict is ours.
			// (Signature only: see "bundles hide the signature" below.)
			q := publishSigned(t, reg, k, "interop-"+mode.name+"-resign", randomImage(t), mode.referrers)
			removeAttestations(t, q, mode.referrers)
			rc, out, errOut = c.verify(t, q.tag.String(), mode.referrers)
			mustRC(t, 0, "verify of the signature alone", rc, out, errOut)
			tamperSignature(t, q.repo, q.digest, mode.referrers, k.sv, q.repo.Digest(digestOf(t, randomImage(t)).String()))
			rc, out, errOut = c.verify(t, q.tag.String(), mode.referrers)
			if mode.referrers {
				// cosign drops the referrer's verification error, falls
				// back to the .sig tag and reports that (rc 10).
				mustRC(t, 10, "verify after replacing the signature", rc, out, errOut)
			} else {
				mustRC(t, 12, "verify after replacing the signature", rc, out, errOut)
			}
			res, err := Verify(ctx, q.tag, verifyOpts(k, mode.referrers))
			mustFail(t, res, err, "signature", "invalid signature")

			if err := remote.Write(q.tag, randomImage(t), ropts...); err != nil {
				t.Fatal(err)
			}
			rc, out, errOut = c.verify(t, q.tag.String(), mode.referrers)
			mustRC(t, 10, "verify after moving the tag to an unsigned image", rc, out, errOut)

			// Tampering with an attestation.
			q = publishSigned(t, reg, k, "interop-"+mode.name+"-editatt", randomImage(t), mode.referrers)
			tamperAttestation(t, q.repo, q.digest, mode.referrers, "CycloneDX", "CycloneDZ")
			rc, out, errOut = c.verifyAttestation(t, q.tag.String(), "cyclonedx", mode.referrers)
			if rc == 0 {
				t.Errorf("verify-attestation accepted an edited attestation:\n%s\n%s", out, errOut)
			}
			rc, out, errOut = c.verifyAttestation(t, q.tag.String(), "vuln", mode.referrers)
			mustRC(t, 0, "verify-attestation of an untouched attestation next to an edited one", rc, out, errOut)

			if mode.referrers {
				// cosign v2.6.5 verify switches to the sigstore bundle
				// format as soon as a digest has one bundle referrer, and
				// then counts any valid bundle — an SBOM attestation —
				// as the image's signature; the cosign signature referrer
				// is not read. A replaced signature goes unnoticed by
				// cosign; Verify checks the signature itself.
				q = publishSigned(t, reg, k, "interop-"+mode.name+"-hidden", randomImage(t), true)
				tamperSignature(t, q.repo, q.digest, true, k.sv, q.repo.Digest(digestOf(t, randomImage(t)).String()))
				rc, out, errOut = c.verify(t, q.tag.String(), true)
				mustRC(t, 0, "cosign verify of a replaced signature next to attestation bundles", rc, out, errOut)
				res, err := Verify(ctx, q.tag, verifyOpts(k, true))
				mustFail(t, res, err, "signature", "invalid signature")
			}
		})
	}

	t.Run("cosign layout", func(t *testing.T) {
		idx := twoPlatformIndex(t)
		se, err := Sign(ctx, idx, reg.repo(t, "interop-layout"), attestEverything(t, idx, "LOW"), Options{Signer: k.sv})
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if err := ocilayout.WriteSignedImageIndex(dir, se.(oci.SignedImageIndex)); err != nil {
			t.Fatal(err)
		}
		rc, out, errOut := c.run(t, "", "verify", "--key", c.pub, "--insecure-ignore-tlog", "--trusted-root", c.TrustedRoot, "--local-image", dir)
		mustRC(t, 0, "verify --local-image", rc, out, errOut)
		rc, out, errOut = c.run(t, "", "verify-attestation", "--key", c.pub, "--insecure-ignore-tlog", "--trusted-root", c.TrustedRoot, "--type", "slsaprovenance1", "--local-image", dir)
		mustRC(t, 0, "verify-attestation --local-image", rc, out, errOut)
	})

	t.Run("cosign does not check the repository", func(t *testing.T) {
		img := randomImage(t)
		elsewhere := reg.repo(t, "interop-elsewhere")
		se, err := Sign(ctx, img, elsewhere, nil, Options{Signer: k.sv})
		if err != nil {
			t.Fatal(err)
		}
		tag := reg.repo(t, "interop-copied").Tag("v1")
		if _, err := Publish(ctx, tag, se, PublishOptions{Remote: ropts}); err != nil {
			t.Fatal(err)
		}
		rc, out, errOut := c.verify(t, tag.String(), false)
		mustRC(t, 0, "cosign verify of a signature for another repository", rc, out, errOut)
		res, err := Verify(ctx, tag, VerifyOptions{Key: k.v, Offline: true, Remote: ropts})
		mustFail(t, res, err, "signature identity", "names")
	})

	t.Run("cosign signs with our key", func(t *testing.T) {
		img := randomImage(t)
		repo := reg.repo(t, "interop-cosign-signed")
		h := digestOf(t, img)
		tag := repo.Tag("v1")
		if err := remote.Write(tag, img, ropts...); err != nil {
			t.Fatal(err)
		}
		ref := repo.Digest(h.String()).String()
		rc, out, errOut := c.run(t, "wrong password", "sign", "--key", c.priv, "--tlog-upload=false", "-y", ref)
		if rc == 0 {
			t.Fatalf("cosign signed with a wrong password:\n%s\n%s", out, errOut)
		}
		rc, out, errOut = c.run(t, testPassword, "sign", "--key", c.priv, "--tlog-upload=false", "-y", ref)
		mustRC(t, 0, "cosign sign", rc, out, errOut)
		pred := filepath.Join(t.TempDir(), "sbom.cdx.json")
		if err := os.WriteFile(pred, []byte(sbomCDX), 0o644); err != nil {
			t.Fatal(err)
		}
		rc, out, errOut = c.run(t, testPassword, "attest", "--key", c.priv, "--tlog-upload=false", "-y", "--type", "cyclonedx", "--predicate", pred, ref)
		mustRC(t, 0, "cosign attest", rc, out, errOut)
		res, err := Verify(ctx, tag, VerifyOptions{Key: k.v, Offline: true, Require: []string{"cyclonedx"}, Remote: ropts})
		mustPass(t, res, err)
	})
}
