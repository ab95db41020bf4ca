package sign

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/cosign/v2/pkg/providers"
	"github.com/sigstore/fulcio/pkg/api"
	"github.com/sigstore/rekor/pkg/client"
	rekorclient "github.com/sigstore/rekor/pkg/generated/client"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/oauthflow"
	"github.com/sigstore/sigstore/pkg/signature"

	// The OIDC token sources of CI runners, as cosign uses them:
	// SIGSTORE_ID_TOKEN (GitLab CI id_tokens, any CI), GitHub Actions'
	// token endpoint, and the token file a Kubernetes pod can mount.
	_ "github.com/sigstore/cosign/v2/pkg/providers/envvar"
	_ "github.com/sigstore/cosign/v2/pkg/providers/filesystem"
	_ "github.com/sigstore/cosign/v2/pkg/providers/github"
)

// Keyless signs with an ephemeral key and a short-lived certificate that
// Fulcio issues for an OIDC identity (the CI job's), and records every
// signature in the transparency log (Options.Tlog must be set: without a
// log entry the certificate, valid for minutes, cannot be verified later).
// It needs network access to Fulcio and Rekor.
type Keyless struct {
	// IDToken returns the OIDC identity token. nil: the token of the CI
	// runner, found as cosign finds it (SIGSTORE_ID_TOKEN, GitHub Actions'
	// ACTIONS_ID_TOKEN_REQUEST_URL, the sigstore token file), with audience
	// "sigstore".
	IDToken func(ctx context.Context) (string, error)
	// FulcioURL is the Fulcio instance. Empty: the one in sigstore's signing
	// config, fetched by cosign from the sigstore TUF repository (network).
	FulcioURL string
	// Timeout bounds the certificate request; 0 means 30 seconds.
	Timeout time.Duration
}

// certificate is what Fulcio issued for the ephemeral key.
type certificate struct {
	sv        signature.SignerVerifier
	certPEM   []byte
	chainPEM  []byte
	fulcioURL string
}

// certify makes an ephemeral key and gets a certificate for it.
func (k *Keyless) certify(ctx context.Context) (*certificate, error) {
	fulcioURL := k.FulcioURL
	if fulcioURL == "" {
		svc, err := defaultService(func(sc *root.SigningConfig) []root.Service { return sc.FulcioCertificateAuthorityURLs() })
		if err != nil {
			return nil, fmt.Errorf("keyless: finding Fulcio: %w (set Keyless.FulcioURL for a private sigstore instance)", err)
		}
		fulcioURL = svc
	}
	u, err := url.Parse(fulcioURL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("keyless: Fulcio URL %q: want scheme://host", fulcioURL)
	}
	tok, err := k.token(ctx)
	if err != nil {
		return nil, fmt.Errorf("keyless: OIDC identity token: %w", err)
	}
	subject, err := tokenSubject(tok)
	if err != nil {
		return nil, fmt.Errorf("keyless: OIDC identity token: %w", err)
	}
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	sv, err := signature.LoadECDSASignerVerifier(priv, crypto.SHA256)
	if err != nil {
		return nil, err
	}
	pubPEM, err := cryptoutils.MarshalPublicKeyToPEM(priv.Public())
	if err != nil {
		return nil, err
	}
	// Proof of possession: the token's subject signed with the key.
	proof, err := sv.SignMessage(strings.NewReader(subject))
	if err != nil {
		return nil, err
	}
	timeout := k.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	fc := api.NewClient(u, api.WithUserAgent(userAgent), api.WithTimeout(timeout))
	type result struct {
		resp *api.CertificateResponse
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		resp, err := fc.SigningCert(api.CertificateRequest{PublicKey: api.Key{Content: pubPEM}, SignedEmailAddress: proof}, tok)
		ch <- result{resp, err}
	}()
	var r result
	select {
	case r = <-ch:
	case <-ctx.Done():
		return nil, fmt.Errorf("keyless: requesting a certificate from Fulcio at %s: %w", fulcioURL, ctx.Err())
	}
	if r.err != nil {
		return nil, fmt.Errorf("keyless: requesting a certificate from Fulcio at %s: %w", fulcioURL, r.err)
	}
	if _, err := cryptoutils.UnmarshalCertificatesFromPEM(r.resp.CertPEM); err != nil {
		return nil, fmt.Errorf("keyless: Fulcio at %s: certificate: %w", fulcioURL, err)
	}
	return &certificate{sv: sv, certPEM: r.resp.CertPEM, chainPEM: r.resp.ChainPEM, fulcioURL: fulcioURL}, nil
}

func (k *Keyless) token(ctx context.Context) (string, error) {
	if k.IDToken != nil {
		return k.IDToken(ctx)
	}
	if !providers.Enabled(ctx) {
		return "", errors.New("none found: set Keyless.IDToken, SIGSTORE_ID_TOKEN, or run in GitHub Actions with id-token: write")
	}
	return providers.Provide(ctx, "sigstore")
}

// tokenSubject is the identity Fulcio will put in the certificate: the
// token's email (if verified) or subject. The token is not verified here;
// Fulcio does that.
func tokenSubject(tok string) (string, error) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return "", errors.New("not a JWT")
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return "", fmt.Errorf("JWT payload: %w", err)
	}
	return oauthflow.SubjectFromUnverifiedToken(payload)
}

// userAgent is what distill sends to Fulcio and Rekor.
const userAgent = "distill"

// newRekor returns a client of the Rekor instance rekorURL, or of cosign's
// default instance (from sigstore's signing config) when it is empty.
func newRekor(rekorURL string) (*rekorclient.Rekor, string, error) {
	if rekorURL == "" {
		u, err := defaultService(func(sc *root.SigningConfig) []root.Service { return sc.RekorLogURLs() })
		if err != nil {
			return nil, "", fmt.Errorf("transparency log: finding Rekor: %w (set Options.RekorURL for a private instance, or sign with Tlog false)", err)
		}
		rekorURL = u
	}
	c, err := client.GetRekorClient(rekorURL, client.WithUserAgent(userAgent))
	if err != nil {
		return nil, "", fmt.Errorf("transparency log %s: %w", rekorURL, err)
	}
	return c, rekorURL, nil
}

// defaultService picks the API v1 service (the API the cosign signature
// format records) that sigstore's signing config lists now. cosign fetches
// the config from the sigstore TUF repository: this needs network.
func defaultService(list func(*root.SigningConfig) []root.Service) (string, error) {
	sc, err := cosign.SigningConfig()
	if err != nil {
		return "", err
	}
	s, err := root.SelectService(list(sc), []uint32{1}, time.Now())
	if err != nil {
		return "", err
	}
	return s.URL, nil
}
