package sign

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/sigstore/cosign/v2/pkg/oci"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/payload"

	"github.com/distill-dev/distill/test/harness"
)

// published is an image or index signed, attested and published for a
// tamper test.
type published struct {
	repo      name.Repository
	tag       name.Tag
	se        oci.SignedEntity
	digest    v1.Hash
	platforms map[string]v1.Hash // of an index: "linux/amd64" → digest
}

func publishSigned(t *testing.T, reg *testRegistry, k *testKeys, repoName string, e any, referrers bool) *published {
	t.Helper()
	ctx := context.Background()
	repo := reg.repo(t, repoName)
	se, err := Sign(ctx, e, repo, attestEverything(t, e, "LOW"), Options{Signer: k.sv})
	if err != nil {
		t.Fatal(err)
	}
	p := &published{repo: repo, tag: repo.Tag("v1"), se: se, digest: digestOf(t, se), platforms: map[string]v1.Hash{}}
	if _, err := Publish(ctx, p.tag, se, PublishOptions{Referrers: referrers, Remote: ropts}); err != nil {
		t.Fatal(err)
	}
	if ii, ok := e.(v1.ImageIndex); ok {
		im, err := ii.IndexManifest()
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range im.Manifests {
			if isPlatformChild(d) {
				p.platforms[d.Platform.String()] = d.Digest
			}
		}
	}
	return p
}

// TestTamper changes what the registry holds behind distill's back; each
// change makes Verify fail with a check that names it.
func TestTamper(t *testing.T) {
	ctx := context.Background()
	k := newKeys(t)
	reg := newRegistry(t)
	for _, mode := range []struct {
		name      string
		referrers bool
	}{{"tags", false}, {"referrers", true}} {
		t.Run(mode.name, func(t *testing.T) {
			verify := func(t *testing.T, ref name.Reference) (*VerifyResult, error) {
				return Verify(ctx, ref, verifyOpts(k, mode.referrers))
			}
			t.Run("tag moved to an unsigned digest", func(t *testing.T) {
				p := publishSigned(t, reg, k, mode.name+"-repoint", randomImage(t), mode.referrers)
				res, err := verify(t, p.tag)
				mustPass(t, res, err)
				if err := remote.Write(p.tag, randomImage(t), ropts...); err != nil {
					t.Fatal(err)
				}
				res, err = verify(t, p.tag)
				mustFail(t, res, err, "signature", "no signatures found")
				mustFail(t, res, err, "attestation cyclonedx", "none found")
			})
			t.Run("signature of another payload", func(t *testing.T) {
				p := publishSigned(t, reg, k, mode.name+"-resign", randomImage(t), mode.referrers)
				other := digestOf(t, randomImage(t))
				tamperSignature(t, p.repo, p.digest, mode.referrers, k.sv, p.repo.Digest(other.String()))
				res, err := verify(t, p.tag)
				mustFail(t, res, err, "signature", "no matching signatures: invalid signature")
			})
			t.Run("attestation payload edited", func(t *testing.T) {
				p := publishSigned(t, reg, k, mode.name+"-editatt", randomImage(t), mode.referrers)
				tamperAttestation(t, p.repo, p.digest, mode.referrers, "CycloneDX", "CycloneDZ")
				res, err := verify(t, p.tag)
				mustFail(t, res, err, "attestation cyclonedx", "no valid attestation")
				mustFail(t, res, err, "SBOM digest matches", "no valid cyclonedx attestation")
				for _, c := range res.Checks {
					if c.Name == "signature" && !c.Passed {
						t.Errorf("the image signature should still verify: %s", c)
					}
				}
			})
			t.Run("platform image signature replaced", func(t *testing.T) {
				p := publishSigned(t, reg, k, mode.name+"-platform", twoPlatformIndex(t), mode.referrers)
				h := p.platforms["linux/arm64"]
				tamperSignature(t, p.repo, h, mode.referrers, k.sv, p.repo.Digest(p.platforms["linux/amd64"].String()))
				res, err := verify(t, p.tag)
				mustFail(t, res, err, "signature (linux/arm64)", "no matching signatures")
				for _, c := range res.Failed() {
					if !strings.Contains(c.Name, "linux/arm64") {
						t.Errorf("unexpected failure: %s", c)
					}
				}
			})
			t.Run("wrong key", func(t *testing.T) {
				p := publishSigned(t, reg, k, mode.name+"-wrongkey", randomImage(t), mode.referrers)
				o := verifyOpts(otherKeys(t), mode.referrers)
				res, err := Verify(ctx, p.tag, o)
				mustFail(t, res, err, "signature", "no matching signatures")
				mustFail(t, res, err, "attestation vuln", "no valid attestation")
			})
			t.Run("signed for another repository", func(t *testing.T) {
				// Signed as …/elsewhere, published (image, signature and
				// attestations, all valid) in …/copied.
				img := randomImage(t)
				elsewhere := reg.repo(t, mode.name+"-elsewhere")
				se, err := Sign(ctx, img, elsewhere, attestEverything(t, img, "LOW"), Options{Signer: k.sv})
				if err != nil {
					t.Fatal(err)
				}
				tag := reg.repo(t, mode.name+"-copied").Tag("v1")
				if _, err := Publish(ctx, tag, se, PublishOptions{Referrers: mode.referrers, Remote: ropts}); err != nil {
					t.Fatal(err)
				}
				res, err := verify(t, tag)
				mustFail(t, res, err, "signature identity", `names "`+elsewhere.Name()+`", not `+tag.Context().Name())
				mustFail(t, res, err, "attestation cyclonedx", "the statement is about "+elsewhere.Name())
				for _, c := range res.Checks {
					if c.Name == "signature" && !c.Passed {
						t.Errorf("cosign's own check passes; so should ours: %s", c)
					}
				}
			})
		})
	}
}

// tamperSignature replaces the signature annotation of h's signature with a
// valid signature, by the same key, of the payload for other.
func tamperSignature(t *testing.T, repo name.Repository, h v1.Hash, referrers bool, sv signature.Signer, other name.Digest) {
	t.Helper()
	pl, err := (&payload.Cosign{Image: other}).MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := sv.SignMessage(bytes.NewReader(pl))
	if err != nil {
		t.Fatal(err)
	}
	editManifest(t, repo, h, referrers, "sig", func(m *referrerManifest) {
		m.Layers[0].Annotations["dev.cosignproject.cosign/signature"] = base64.StdEncoding.EncodeToString(raw)
	})
}

// tamperAttestation edits the DSSE payload of h's attestation whose
// statement contains from, keeping the signature.
func tamperAttestation(t *testing.T, repo name.Repository, h v1.Hash, referrers bool, from, to string) {
	t.Helper()
	found := false
	editManifest(t, repo, h, referrers, "att", func(m *referrerManifest) {
		for i, l := range m.Layers {
			b := fetchBlob(t, repo, l.Digest)
			var edited []byte
			if referrers {
				// A sigstore bundle: dsseEnvelope.payload is base64.
				var bundle map[string]any
				if err := json.Unmarshal(b, &bundle); err != nil {
					t.Fatal(err)
				}
				env := bundle["dsseEnvelope"].(map[string]any)
				env["payload"] = editBase64(t, env["payload"].(string), from, to)
				if env["payload"] == nil {
					continue
				}
				edited, _ = json.Marshal(bundle)
			} else {
				var env map[string]any
				if err := json.Unmarshal(b, &env); err != nil {
					t.Fatal(err)
				}
				p := editBase64(t, env["payload"].(string), from, to)
				if p == nil {
					continue
				}
				env["payload"] = p
				edited, _ = json.Marshal(env)
			}
			layer := static.NewLayer(edited, l.MediaType)
			if err := remote.WriteLayer(repo, layer, ropts...); err != nil {
				t.Fatal(err)
			}
			m.Layers[i].Digest, _ = layer.Digest()
			m.Layers[i].Size = int64(len(edited))
			found = true
			return
		}
	})
	if !found {
		t.Fatalf("no attestation of %s contains %q", h, from)
	}
}

// editBase64 replaces from with to in base64-encoded s; it returns nil
// (as any) when s does not contain from.
func editBase64(t *testing.T, s, from, to string) any {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(from)) {
		return nil
	}
	return base64.StdEncoding.EncodeToString(bytes.Replace(b, []byte(from), []byte(to), 1))
}

// editManifest edits the signature ("sig") or attestation ("att") manifest
// of h: cosign's tag, or — with referrers — the referrer, which is replaced
// (the edited one put, the original deleted). With referrers and "att",
// edit is called for each bundle referrer until one changes.
func editManifest(t *testing.T, repo name.Repository, h v1.Hash, referrers bool, kind string, edit func(*referrerManifest)) {
	t.Helper()
	if !referrers {
		ref := repo.Tag(tagFor(h, kind))
		m := getManifest(t, ref)
		edit(m)
		putManifest(t, ref, m)
		return
	}
	refs, err := referrers_(repo, h)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range refs {
		isSig := d.ArtifactType == sigArtifactType
		if isSig != (kind == "sig") {
			continue
		}
		old := repo.Digest(d.Digest.String())
		m := getManifest(t, old)
		before, _ := json.Marshal(m)
		edit(m)
		after, _ := json.Marshal(m)
		if bytes.Equal(before, after) {
			continue
		}
		nh, _, err := v1.SHA256(bytes.NewReader(after))
		if err != nil {
			t.Fatal(err)
		}
		putManifest(t, repo.Digest(nh.String()), m)
		if err := remote.Delete(old, ropts...); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatalf("no %s referrer of %s was edited", kind, h)
}

func referrers_(repo name.Repository, h v1.Hash) ([]v1.Descriptor, error) {
	return referrers(repo, h, ropts)
}

func getManifest(t *testing.T, ref name.Reference) *referrerManifest {
	t.Helper()
	d, err := remote.Get(ref, ropts...)
	if err != nil {
		t.Fatal(err)
	}
	var m referrerManifest
	if err := json.Unmarshal(d.Manifest, &m); err != nil {
		t.Fatal(err)
	}
	return &m
}

func putManifest(t *testing.T, ref name.Reference, m *referrerManifest) {
	t.Helper()
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Put(ref, rawManifest{raw: raw, mt: types.OCIManifestSchema1}, ropts...); err != nil {
		t.Fatal(err)
	}
}

func fetchBlob(t *testing.T, repo name.Repository, h v1.Hash) []byte {
	t.Helper()
	return harness.Blob(t, repo, h, ropts...)
}
