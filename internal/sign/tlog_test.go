package sign

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/sigstore/cosign/v2/pkg/oci"
	"github.com/sigstore/cosign/v2/pkg/oci/static"
)

// TestTlog signs with a key and Tlog against a fake Rekor, and verifies the
// log entries offline against its key (no Offline: they are required).
func TestTlog(t *testing.T) {
	ctx := context.Background()
	k := newKeys(t)
	reg := newRegistry(t)
	rekor := newFakeRekor(t)
	for _, referrers := range []bool{false, true} {
		idx := twoPlatformIndex(t)
		repo := reg.repo(t, "tlog-"+map[bool]string{false: "tags", true: "referrers"}[referrers])
		se, err := Sign(ctx, idx, repo, attestEverything(t, idx, "LOW"), Options{Signer: k.sv, Tlog: true, RekorURL: rekor.url})
		if err != nil {
			t.Fatal(err)
		}
		assertBundles(t, se, true)
		if _, err := Publish(ctx, repo.Tag("v1"), se, PublishOptions{Referrers: referrers, Remote: ropts}); err != nil {
			t.Fatal(err)
		}
		o := verifyOpts(k, referrers)
		o.Offline = false
		o.TrustedMaterial = trustedRoot(t, nil, rekor)
		res, err := Verify(ctx, repo.Tag("v1"), o)
		mustPass(t, res, err)
		last := res.Checks[len(res.Checks)-1]
		if last.Name != "transparency log" || !strings.HasPrefix(last.Detail, "verified log entries of 3 signatures and ") {
			t.Errorf("transparency log check: %s", last)
		}
		// A log the verifier does not trust.
		o.TrustedMaterial = trustedRoot(t, nil, newFakeRekor(t))
		res, err = Verify(ctx, repo.Tag("v1"), o)
		mustFail(t, res, err, "signature", "no matching signatures")
	}
}

// assertBundles checks that every signature and attestation of se (and of
// its platform images) carries a Rekor bundle, or none does.
func assertBundles(t *testing.T, se oci.SignedEntity, want bool) {
	t.Helper()
	nodes, err := walk(se)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		for _, get := range []func() (oci.Signatures, error){n.entity.Signatures, n.entity.Attestations} {
			sigs, err := get()
			if err != nil {
				t.Fatal(err)
			}
			list, err := sigs.Get()
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range list {
				ann, err := s.Annotations()
				if err != nil {
					t.Fatal(err)
				}
				if _, got := ann[static.BundleAnnotationKey]; got != want {
					t.Errorf("%s: bundle annotation present=%t, want %t", n.digest, got, want)
				}
			}
		}
	}
}

// TestKeyless signs with certificates from a fake Fulcio and entries in a
// fake Rekor, and verifies the identity.
func TestKeyless(t *testing.T) {
	ctx := context.Background()
	const issuer, email = "https://issuer.test", "ci@example.test"
	reg := newRegistry(t)
	rekor := newFakeRekor(t)
	fulcio := newFakeFulcio(t, issuer)
	tok := fakeIDToken(issuer, email)
	keyless := &Keyless{FulcioURL: fulcio.url, IDToken: func(context.Context) (string, error) { return tok, nil }}
	for _, referrers := range []bool{false, true} {
		img := randomImage(t)
		repo := reg.repo(t, "keyless-"+map[bool]string{false: "tags", true: "referrers"}[referrers])
		se, err := Sign(ctx, img, repo, attestEverything(t, img, "LOW"), Options{Keyless: keyless, Tlog: true, RekorURL: rekor.url})
		if err != nil {
			t.Fatal(err)
		}
		assertBundles(t, se, true)
		sigs, _ := se.Signatures()
		list, _ := sigs.Get()
		cert, err := list[0].Cert()
		if err != nil || cert == nil || cert.EmailAddresses[0] != email {
			t.Fatalf("signature certificate: %v, %v", cert, err)
		}
		if _, err := Publish(ctx, repo.Tag("v1"), se, PublishOptions{Referrers: referrers, Remote: ropts}); err != nil {
			t.Fatal(err)
		}
		o := VerifyOptions{
			CertIdentity: email, CertOIDCIssuer: issuer, IgnoreSCT: true,
			TrustedMaterial: trustedRoot(t, fulcio, rekor),
			Require:         requireAll, MaxSeverity: "HIGH", Referrers: referrers, Now: testNow, Remote: ropts,
		}
		res, err := Verify(ctx, repo.Tag("v1"), o)
		mustPass(t, res, err)

		o.CertIdentity = "someone-else@example.test"
		res, err = Verify(ctx, repo.Tag("v1"), o)
		mustFail(t, res, err, "signature", "none of the expected identities matched")
		mustFail(t, res, err, "attestation cyclonedx", "no valid attestation")

		o.CertIdentity, o.IgnoreSCT = email, false
		res, err = Verify(ctx, repo.Tag("v1"), o)
		mustFail(t, res, err, "signature", "SCT")
	}
	if len(fulcio.tokens) != 2 || fulcio.tokens[0] != tok {
		t.Errorf("Fulcio got %d tokens, want the given one twice (one certificate per Sign)", len(fulcio.tokens))
	}
}

// TestKeylessErrors: keyless signing fails clearly without its services.
func TestKeylessErrors(t *testing.T) {
	ctx := context.Background()
	img := randomImage(t)
	repo := newRegistry(t).repo(t, "keyless-errors")
	tok := fakeIDToken("https://issuer.test", "ci@example.test")
	token := func(context.Context) (string, error) { return tok, nil }

	_, err := Sign(ctx, img, repo, nil, Options{Keyless: &Keyless{FulcioURL: "http://127.0.0.1:1", IDToken: token}})
	if err == nil || !strings.Contains(err.Error(), "keyless signing needs Tlog") {
		t.Errorf("keyless without Tlog: %v", err)
	}
	_, err = Sign(ctx, img, repo, nil, Options{Keyless: &Keyless{FulcioURL: "http://127.0.0.1:1", IDToken: token}, Tlog: true, RekorURL: "http://127.0.0.1:1"})
	if err == nil || !strings.Contains(err.Error(), "requesting a certificate from Fulcio at http://127.0.0.1:1") || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("unreachable Fulcio: %v", err)
	}
	_, err = Sign(ctx, img, repo, nil, Options{Keyless: &Keyless{FulcioURL: "http://127.0.0.1:1", IDToken: func(context.Context) (string, error) {
		return "", errors.New("no token endpoint")
	}}, Tlog: true, RekorURL: "http://127.0.0.1:1"})
	if err == nil || !strings.Contains(err.Error(), "OIDC identity token: no token endpoint") {
		t.Errorf("no token: %v", err)
	}
	// No token source at all (the CI providers see nothing).
	for _, v := range []string{"SIGSTORE_ID_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"} {
		t.Setenv(v, "") // restored after the test
		os.Unsetenv(v)
	}
	_, err = Sign(ctx, img, repo, nil, Options{Keyless: &Keyless{FulcioURL: "http://127.0.0.1:1"}, Tlog: true, RekorURL: "http://127.0.0.1:1"})
	if err == nil || !strings.Contains(err.Error(), "OIDC identity token: none found") {
		t.Errorf("no token source: %v", err)
	}
	// A key with Tlog and an unreachable log: nothing is signed.
	k := newKeys(t)
	_, err = Sign(ctx, img, repo, nil, Options{Signer: k.sv, Tlog: true, RekorURL: "http://127.0.0.1:1"})
	if err == nil || !strings.Contains(err.Error(), "transparency log http://127.0.0.1:1") {
		t.Errorf("unreachable Rekor: %v", err)
	}
	// Both a key and keyless.
	_, err = Sign(ctx, img, repo, nil, Options{Signer: k.sv, Keyless: &Keyless{}})
	if err == nil || !strings.Contains(err.Error(), "not both") {
		t.Errorf("key and keyless: %v", err)
	}
}
