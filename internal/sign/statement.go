package sign

import (
	"github.com/distill-dev/distill/internal/attest"

	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/in-toto/in-toto-golang/in_toto"
	slsa1 "github.com/in-toto/in-toto-golang/in_toto/slsa_provenance/v1"
	"github.com/sigstore/cosign/v2/pkg/cosign/attestation"
)

// Attestation is one predicate to attach to an image, signed as an in-toto
// statement about it.
type Attestation struct {
	// PredicateType is the predicate's URI (https://cyclonedx.org/bom,
	// https://spdx.dev/Document, https://cosign.sigstore.dev/attestation/vuln/v1,
	// https://slsa.dev/provenance/v1, …) or one of cosign's short names
	// (cyclonedx, spdxjson, vuln, slsaprovenance1; see [PredicateURI]).
	PredicateType string
	// Predicate is the predicate, one JSON value. It is embedded in the
	// statement byte for byte (without surrounding white space), so an
	// SBOM attached here hashes to [PredicateDigest] of the same bytes.
	Predicate []byte
}

// The predicate types distill attaches, by cosign's --type names.
var predicateTypes = map[string]string{
	"cyclonedx":       in_toto.PredicateCycloneDX,
	"spdx":            in_toto.PredicateSPDX,
	"spdxjson":        in_toto.PredicateSPDX,
	"vuln":            attestation.CosignVulnProvenanceV01,
	"slsaprovenance1": slsa1.PredicateSLSAProvenance,
}

// PredicateURI maps cosign's short predicate names (cyclonedx, spdx,
// spdxjson, vuln, slsaprovenance1) to their URIs and checks that anything
// else is an absolute URI.
func PredicateURI(t string) (string, error) {
	if u, ok := predicateTypes[t]; ok {
		return u, nil
	}
	if u, err := url.Parse(t); err != nil || !u.IsAbs() || u.Host == "" {
		return "", fmt.Errorf("predicate type %q: want cyclonedx, spdxjson, vuln, slsaprovenance1 or a URI", t)
	}
	return t, nil
}

// statementType is the in-toto statement version `cosign attest` writes.
const statementType = in_toto.StatementInTotoV01

// statementHeader is an in-toto statement without its predicate.
type statementHeader struct {
	Type          string            `json:"_type"`
	PredicateType string            `json:"predicateType"`
	Subject       []in_toto.Subject `json:"subject"`
}

// statement makes the in-toto statement (v0.1, as `cosign attest` does)
// saying that repo@h has predicate a. The predicate is copied in verbatim.
func statement(repo name.Repository, h v1.Hash, predicateType string, predicate []byte) ([]byte, error) {
	if h.Algorithm != "sha256" {
		return nil, fmt.Errorf("subject %s: only sha256 digests can be attested", h)
	}
	pred := bytes.TrimSpace(predicate)
	if len(pred) == 0 || !json.Valid(pred) {
		return nil, fmt.Errorf("%s predicate: not valid JSON", predicateType)
	}
	head, err := json.Marshal(statementHeader{
		Type:          statementType,
		PredicateType: predicateType,
		Subject:       []in_toto.Subject{{Name: repo.Name(), Digest: map[string]string{"sha256": h.Hex}}},
	})
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.Write(head[:len(head)-1]) // without the closing brace
	b.WriteString(`,"predicate":`)
	b.Write(pred)
	b.WriteByte('}')
	return b.Bytes(), nil
}

// parsedStatement is an in-toto statement as Verify reads it: the predicate
// stays the bytes it was signed as.
type parsedStatement struct {
	Type          string            `json:"_type"`
	PredicateType string            `json:"predicateType"`
	Subject       []in_toto.Subject `json:"subject"`
	Predicate     json.RawMessage   `json:"predicate"`
}

func parseStatement(b []byte) (*parsedStatement, error) {
	var st parsedStatement
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("in-toto statement: %w", err)
	}
	if st.PredicateType == "" {
		return nil, errors.New("in-toto statement: no predicateType")
	}
	return &st, nil
}

// subjectFor returns the statement's subject with digest h, if any.
func (st *parsedStatement) subjectFor(h v1.Hash) (in_toto.Subject, bool) {
	for _, s := range st.Subject {
		if s.Digest[h.Algorithm] == h.Hex {
			return s, true
		}
	}
	return in_toto.Subject{}, false
}

// PredicateDigest is the digest an SBOM (or any predicate) attached with
// [Sign] is checked against by [Verify]'s "SBOM digest matches": the SHA-256
// of predicate without surrounding white space, which is the SHA-256 of the
// predicate as it appears in the signed statement. Put it in the SLSA
// provenance's byproducts. A file's SHA-256 that differs only by a final
// newline is accepted too.
func PredicateDigest(predicate []byte) v1.Hash { return attest.PredicateDigest(predicate) }

// predicateMatches reports whether the predicate as signed hashes to want,
// as [PredicateDigest] defines it.
func predicateMatches(pred []byte, want string) bool {
	if PredicateDigest(pred).Hex == want {
		return true
	}
	sum := sha256.Sum256(append(bytes.TrimSpace(pred), '\n'))
	return hex.EncodeToString(sum[:]) == want
}
