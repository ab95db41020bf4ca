package sign

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	jsoncanonicalizer "github.com/cyberphone/json-canonicalization/go/src/webpki.org/jsoncanonicalizer"
	"github.com/go-openapi/runtime"
	cbundle "github.com/sigstore/cosign/v2/pkg/cosign/bundle"
	"github.com/sigstore/rekor/pkg/generated/models"
	rekortypes "github.com/sigstore/rekor/pkg/types"
	"github.com/sigstore/rekor/pkg/util"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
)

// fakeRekor is a Rekor v1 API that accepts entries into one-entry trees:
// it canonicalizes the proposed entry as Rekor does, signs the entry
// timestamp (cosign's bundle) and a checkpoint with its key, and returns an
// inclusion proof. Enough for cosign and sigstore-go to verify offline.
type fakeRekor struct {
	url   string
	key   *ecdsa.PrivateKey
	logID []byte

	mu      sync.Mutex
	entries int
}

func newFakeRekor(t *testing.T) *fakeRekor {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	id := sha256.Sum256(der)
	r := &fakeRekor{key: key, logID: id[:]}
	srv := httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(srv.Close)
	r.url = srv.URL
	return r
}

func (r *fakeRekor) serve(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost || req.URL.Path != "/api/v1/log/entries" {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	entry, uuid, err := r.add(req.Context(), req.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("ETag", uuid)
	w.Header().Set("Location", "/api/v1/log/entries/"+uuid)
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(map[string]models.LogEntryAnon{uuid: *entry})
}

func (r *fakeRekor) add(ctx context.Context, body io.Reader) (*models.LogEntryAnon, string, error) {
	pe, err := models.UnmarshalProposedEntry(body, runtime.JSONConsumer())
	if err != nil {
		return nil, "", err
	}
	ei, err := rekortypes.CreateVersionedEntry(pe)
	if err != nil {
		return nil, "", err
	}
	canon, err := rekortypes.CanonicalizeEntry(ctx, ei)
	if err != nil {
		return nil, "", err
	}
	r.mu.Lock()
	idx := int64(r.entries)
	r.entries++
	r.mu.Unlock()
	integrated := time.Now().Unix()
	logID := hex.EncodeToString(r.logID)
	b64 := base64.StdEncoding.EncodeToString(canon)

	// The signed entry timestamp, as cosign.VerifySET checks it.
	pl, err := json.Marshal(cbundle.RekorPayload{Body: b64, IntegratedTime: integrated, LogIndex: idx, LogID: logID})
	if err != nil {
		return nil, "", err
	}
	canonPL, err := jsoncanonicalizer.Transform(pl)
	if err != nil {
		return nil, "", err
	}
	sum := sha256.Sum256(canonPL)
	set, err := ecdsa.SignASN1(rand.Reader, r.key, sum[:])
	if err != nil {
		return nil, "", err
	}

	// A tree of one leaf: the root is the leaf hash (RFC 6962).
	leaf := sha256.Sum256(append([]byte{0}, canon...))
	sv, err := signature.LoadECDSASignerVerifier(r.key, crypto.SHA256)
	if err != nil {
		return nil, "", err
	}
	cp, err := util.CreateAndSignCheckpoint(ctx, "fake-rekor", int64(idx), 1, leaf[:], sv)
	if err != nil {
		return nil, "", err
	}
	cps, root, zero, one := string(cp), hex.EncodeToString(leaf[:]), int64(0), int64(1)
	return &models.LogEntryAnon{
		Body:           b64,
		IntegratedTime: &integrated,
		LogID:          &logID,
		LogIndex:       &idx,
		Verification: &models.LogEntryAnonVerification{
			SignedEntryTimestamp: set,
			InclusionProof: &models.InclusionProof{
				Checkpoint: &cps, Hashes: []string{}, LogIndex: &zero, RootHash: &root, TreeSize: &one,
			},
		},
	}, hex.EncodeToString(leaf[:]), nil
}

// transparencyLog is the fake log as a trusted root entry.
func (r *fakeRekor) transparencyLog() *root.TransparencyLog {
	return &root.TransparencyLog{
		BaseURL: r.url, ID: r.logID, HashFunc: crypto.SHA256, SignatureHashFunc: crypto.SHA256,
		PublicKey: r.key.Public(), ValidityPeriodStart: time.Now().Add(-time.Hour),
	}
}

// fakeFulcio issues certificates from a test CA for a valid proof of
// possession of the token's subject, as Fulcio's v1 signingCert API does.
type fakeFulcio struct {
	url    string
	ca     *x509.Certificate
	caKey  *ecdsa.PrivateKey
	issuer string // the OIDC issuer it writes into certificates
	tokens []string
	mu     sync.Mutex
}

func newFakeFulcio(t *testing.T, issuer string) *fakeFulcio {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test fulcio"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, caKey.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeFulcio{ca: ca, caKey: caKey, issuer: issuer}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	f.url = srv.URL
	return f
}

func (f *fakeFulcio) serve(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost || req.URL.Path != "/api/v1/signingCert" {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	tok := strings.TrimPrefix(req.Header.Get("Authorization"), "Bearer ")
	f.mu.Lock()
	f.tokens = append(f.tokens, tok)
	f.mu.Unlock()
	var cr struct {
		PublicKey struct {
			Content []byte `json:"content"`
		} `json:"publicKey"`
		SignedEmailAddress []byte `json:"signedEmailAddress"`
	}
	if err := json.NewDecoder(req.Body).Decode(&cr); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	subject, err := tokenSubject(tok)
	if err != nil {
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(cr.PublicKey.Content)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	v, err := signature.LoadVerifier(pub, crypto.SHA256)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if err := v.VerifySignature(bytes.NewReader(cr.SignedEmailAddress), strings.NewReader(subject)); err != nil {
		http.Error(w, "proof of possession: "+err.Error(), http.StatusBadRequest)
		return
	}
	issuerV2, _ := asn1.Marshal(f.issuer)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		NotBefore:    time.Now().Add(-time.Minute), NotAfter: time.Now().Add(10 * time.Minute),
		EmailAddresses: []string{subject},
		KeyUsage:       x509.KeyUsageDigitalSignature,
		ExtKeyUsage:    []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		ExtraExtensions: []pkix.Extension{
			{Id: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 1}, Value: []byte(f.issuer)},
			{Id: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 57264, 1, 8}, Value: issuerV2},
		},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, f.ca, pub, f.caKey)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusCreated)
	_ = pem.Encode(w, &pem.Block{Type: "CERTIFICATE", Bytes: der})
	_ = pem.Encode(w, &pem.Block{Type: "CERTIFICATE", Bytes: f.ca.Raw})
}

func (f *fakeFulcio) authority() root.CertificateAuthority {
	return &root.FulcioCertificateAuthority{Root: f.ca, ValidityPeriodStart: time.Now().Add(-time.Hour), URI: f.url}
}

// fakeIDToken is an (unsigned) OIDC token for email, as CI runners hand
// them out; the fake Fulcio does not check signatures.
func fakeIDToken(issuer, email string) string {
	enc := base64.RawURLEncoding.EncodeToString
	header := enc([]byte(`{"alg":"RS256","typ":"JWT"}`))
	claims := enc([]byte(fmt.Sprintf(`{"iss":%q,"sub":"ci-job","aud":"sigstore","email":%q,"email_verified":true,"exp":%d}`,
		issuer, email, time.Now().Add(time.Hour).Unix())))
	return header + "." + claims + "." + enc([]byte("not-a-signature"))
}

// trustedRoot trusts the fake Fulcio (if any) and the fake Rekor.
func trustedRoot(t *testing.T, f *fakeFulcio, r *fakeRekor) root.TrustedMaterial {
	t.Helper()
	var cas []root.CertificateAuthority
	if f != nil {
		cas = append(cas, f.authority())
	}
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01, cas, nil, nil,
		map[string]*root.TransparencyLog{hex.EncodeToString(r.logID): r.transparencyLog()})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}
