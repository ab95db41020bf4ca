package attest

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/in-toto/in-toto-golang/in_toto/slsa_provenance/common"
)

// Digest algorithm names of in-toto DigestSets
// (https://github.com/in-toto/attestation/blob/main/spec/v1/digest_set.md).
const (
	algSHA256    = "sha256"
	algSHA512    = "sha512"
	algGitCommit = "gitCommit"
	// algDirHash is Go's dirhash Hash1 (the go.sum "h1:" hash) in lowercase
	// hex: the SHA-256 of the module's file list with each file's SHA-256,
	// not the SHA-256 of the module zip.
	algDirHash = "dirHash"
)

// isHex reports whether s is n lowercase hex digits.
func isHex(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// sha256Set is the DigestSet of a file by its SHA-256 in hex.
func sha256Set(sum string) (common.DigestSet, error) {
	if !isHex(sum, 64) {
		return nil, fmt.Errorf("sha256 %q: want 64 lowercase hex digits", sum)
	}
	return common.DigestSet{algSHA256: sum}, nil
}

// hashSet is the DigestSet of a content digest ("sha256:…").
func hashSet(h v1.Hash) (common.DigestSet, error) {
	want := map[string]int{algSHA256: 64, algSHA512: 128}[h.Algorithm]
	if want == 0 || !isHex(h.Hex, want) {
		return nil, fmt.Errorf("digest %q: want sha256:<64 hex digits> or sha512:<128 hex digits>", h.String())
	}
	return common.DigestSet{h.Algorithm: h.Hex}, nil
}

// gitCommitSet is the DigestSet of a Git commit id (SHA-1 or SHA-256).
func gitCommitSet(rev string) (common.DigestSet, error) {
	if !isHex(rev, 40) && !isHex(rev, 64) {
		return nil, fmt.Errorf("revision %q: want a full commit id (40 or 64 lowercase hex digits)", rev)
	}
	return common.DigestSet{algGitCommit: rev}, nil
}

// dirHashSet turns a go.sum hash ("h1:" and the base64 of a SHA-256) into
// the dirHash DigestSet: the same SHA-256 in hex.
func dirHashSet(sum string) (common.DigestSet, error) {
	b64, ok := strings.CutPrefix(sum, "h1:")
	if !ok {
		return nil, fmt.Errorf("sum %q: want a go.sum hash h1:<base64>", sum)
	}
	raw, err := base64.StdEncoding.Strict().DecodeString(b64)
	if err != nil || len(raw) != 32 {
		return nil, fmt.Errorf("sum %q: want h1: and the base64 of 32 bytes", sum)
	}
	return common.DigestSet{algDirHash: hex.EncodeToString(raw)}, nil
}
