package sign

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sigstore/cosign/v2/pkg/oci"
)

// TestPublishAtomic breaks the registry in each phase of Publish: the tag
// never moves to the new digest before everything is there, and publishing
// again completes the push.
func TestPublishAtomic(t *testing.T) {
	ctx := context.Background()
	k := newKeys(t)
	type phase struct {
		kind string // requestKind of the request that fails
		n    int    // from the nth request of that kind on
	}
	phases := []phase{
		{"blob", 2},     // a layer of the new image
		{"manifest", 1}, // the image (or first platform image) manifest
		{"sig", 1},      // the first signature manifest
		{"sig", 2},      // a later one: platform signed, index not
		{"att", 1},      // the first attestation manifest
		{"tag", 1},      // the tag itself
	}
	step := map[string]string{
		"blob": "pushing the image by digest", "manifest": "pushing the image by digest",
		"sig": "pushing the signatures", "att": "pushing the attestations", "tag": "tagging sha256:",
	}
	for _, mode := range []struct {
		name      string
		referrers bool
		index     bool
	}{{"tags/image", false, false}, {"tags/index", false, true}, {"referrers/image", true, false}, {"referrers/index", true, true}} {
		for _, ph := range phases {
			if ph.kind == "sig" && ph.n == 2 && !mode.index {
				continue
			}
			for _, drop := range []bool{false, true} {
				how := "500"
				if drop {
					how = "drop"
				}
				name := fmt.Sprintf("%s/%s-%d/%s", mode.name, ph.kind, ph.n, how)
				t.Run(name, func(t *testing.T) {
					t.Parallel()
					reg := newRegistry(t) // its own: faults are per registry
					newEntity := func() any {
						if mode.index {
							return twoPlatformIndex(t)
						}
						return randomImage(t)
					}
					repo := reg.repo(t, "atomic-"+strings.NewReplacer("/", "-").Replace(name))
					tag := repo.Tag("latest")
					popts := PublishOptions{Referrers: mode.referrers, Remote: ropts}
					sign := func(e any) oci.SignedEntity {
						se, err := Sign(ctx, e, repo, attestEverything(t, e, "LOW"), Options{Signer: k.sv})
						if err != nil {
							t.Fatal(err)
						}
						return se
					}

					// A first signed version, published without trouble.
					v1se := sign(newEntity())
					v1h, err := Publish(ctx, tag, v1se, popts)
					if err != nil {
						t.Fatal(err)
					}

					// The second fails in the phase.
					v2se := sign(newEntity())
					reg.setFault(&fault{kind: ph.kind, n: ph.n, tag: "latest", drop: drop})
					_, err = Publish(ctx, tag, v2se, popts)
					reg.setFault(nil)
					if err == nil {
						t.Fatal("publish succeeded through the fault")
					}
					if !strings.Contains(err.Error(), "the tag was not moved") || !strings.Contains(err.Error(), step[ph.kind]) {
						t.Errorf("error does not say %q and that the tag stayed: %v", step[ph.kind], err)
					}
					if got := tagDigest(t, tag); got != v1h {
						t.Fatalf("after the failure the tag points at %s, want the first version %s", got, v1h)
					}
					res, err := Verify(ctx, tag, verifyOpts(k, mode.referrers))
					mustPass(t, res, err)

					// Again, without the fault: complete.
					v2h, err := Publish(ctx, tag, v2se, popts)
					if err != nil {
						t.Fatal(err)
					}
					if got := tagDigest(t, tag); got != v2h || v2h == v1h {
						t.Fatalf("tag at %s, want the second version %s", got, v2h)
					}
					res, err = Verify(ctx, tag, verifyOpts(k, mode.referrers))
					mustPass(t, res, err)
				})
			}
		}
	}

	// A first publish that fails leaves no tag at all.
	for _, kind := range []string{"sig", "att", "tag"} {
		t.Run("first/"+kind, func(t *testing.T) {
			t.Parallel()
			reg := newRegistry(t)
			repo := reg.repo(t, "atomic-first-"+kind)
			tag := repo.Tag("v1")
			img := randomImage(t)
			se, err := Sign(ctx, img, repo, attestEverything(t, img, "LOW"), Options{Signer: k.sv})
			if err != nil {
				t.Fatal(err)
			}
			reg.setFault(&fault{kind: kind, n: 1, tag: "v1", drop: true})
			_, err = Publish(ctx, tag, se, PublishOptions{Remote: ropts})
			reg.setFault(nil)
			if err == nil {
				t.Fatal("publish succeeded through the fault")
			}
			if got := tagDigest(t, tag); got != (v1.Hash{}) {
				t.Fatalf("the tag exists (%s) after a failed first publish", got)
			}
			if _, err := Publish(ctx, tag, se, PublishOptions{Remote: ropts}); err != nil {
				t.Fatal(err)
			}
			res, err := Verify(ctx, tag, verifyOpts(k, false))
			mustPass(t, res, err)
		})
	}
}

// TestPublishAgain: republishing a digest keeps what is there; signing it
// again adds signatures and attestations, or with ReplaceAttestations
// replaces the attestations of the same types.
func TestPublishAgain(t *testing.T) {
	ctx := context.Background()
	k := newKeys(t)
	reg := newRegistry(t)
	img := randomImage(t)
	h := digestOf(t, img)
	repo := reg.repo(t, "again")
	count := func(suffix string) int {
		t.Helper()
		m := getManifest(t, repo.Tag(tagFor(h, suffix)))
		return len(m.Layers)
	}
	for i, want := range []struct {
		replace  bool
		sigs, at int
	}{{false, 1, 4}, {false, 2, 8}, {true, 3, 4}} {
		atts := map[v1.Hash][]Attestation{h: allAttestations("LOW")}
		se, err := Sign(ctx, img, repo, atts, Options{Signer: k.sv})
		if err != nil {
			t.Fatal(err)
		}
		for range 2 { // the same se twice: the second changes nothing
			if _, err := Publish(ctx, repo.Tag("v1"), se, PublishOptions{ReplaceAttestations: want.replace, Remote: ropts}); err != nil {
				t.Fatal(err)
			}
		}
		if s, a := count("sig"), count("att"); s != want.sigs || a != want.at {
			t.Errorf("round %d: %d signatures and %d attestations, want %d and %d", i, s, a, want.sigs, want.at)
		}
		res, err := Verify(ctx, repo.Tag("v1"), verifyOpts(k, false))
		mustPass(t, res, err)
	}
}

// TestNoSecretsInRegistry: nothing Publish sends contains the private
// key's password or the key itself.
func TestNoSecretsInRegistry(t *testing.T) {
	ctx := context.Background()
	k := newKeys(t)
	reg := newRegistry(t)
	for _, referrers := range []bool{false, true} {
		idx := twoPlatformIndex(t)
		repo := reg.repo(t, fmt.Sprintf("secrets-%t", referrers))
		// Load the key from the environment, as CI does.
		t.Setenv("DISTILL_TEST_COSIGN_KEY", string(k.privPEM))
		sv, err := LoadSigner(ctx, "env://DISTILL_TEST_COSIGN_KEY", staticPass(testPassword))
		if err != nil {
			t.Fatal(err)
		}
		se, err := Sign(ctx, idx, repo, attestEverything(t, idx, "LOW"), Options{Signer: sv})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Publish(ctx, repo.Tag("v1"), se, PublishOptions{Referrers: referrers, Remote: ropts}); err != nil {
			t.Fatal(err)
		}
	}
	body := pemBody(t, k.privPEM)
	secrets := map[string][]byte{
		"password":                 []byte(testPassword),
		"password, base64":         []byte(base64.StdEncoding.EncodeToString([]byte(testPassword))),
		"encrypted private key":    body[:32],
		"private key PEM envelope": []byte("PRIVATE KEY"),
	}
	written := reg.written()
	if len(written) < 20 {
		t.Fatalf("only %d requests recorded", len(written))
	}
	for i, b := range written {
		for what, s := range secrets {
			if bytes.Contains(b, s) {
				t.Errorf("request body %d contains the %s", i, what)
			}
		}
	}
}

// pemBody is the base64 text of a PEM block.
func pemBody(t *testing.T, p []byte) []byte {
	t.Helper()
	var body []byte
	for _, line := range bytes.Split(p, []byte("\n")) {
		if len(line) == 0 || bytes.HasPrefix(line, []byte("-----")) {
			continue
		}
		body = append(body, line...)
	}
	if len(body) < 32 {
		t.Fatalf("PEM body too short: %q", p)
	}
	return body
}
