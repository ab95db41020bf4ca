package sign

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/options"
)

// PassFunc returns the password of an encrypted private key. It is called
// at most once per key; the slice it returns is cleared after use. Read it
// from a terminal, a secret store or an environment variable the user named
// — never from a command-line flag, which other users of the machine can see.
type PassFunc func() ([]byte, error)

// envPrefix marks a key reference whose PEM is the value of an environment
// variable.
const envPrefix = "env://"

// GenerateKeyPair makes an ECDSA P-256 key pair in cosign's format: the
// private key PKCS #8, encrypted with password (scrypt + secretbox, PEM type
// "ENCRYPTED SIGSTORE PRIVATE KEY"), and the public key as a PKIX PEM. The
// cosign CLI accepts the private key (`cosign sign --key` with
// COSIGN_PASSWORD set to the same password) and the public key (`cosign
// verify --key`). An empty password is allowed, as with cosign.
func GenerateKeyPair(password []byte) (privPEM, pubPEM []byte, err error) {
	kb, err := cosign.GenerateKeyPair(func(bool) ([]byte, error) { return password, nil })
	if err != nil {
		return nil, nil, fmt.Errorf("generating key pair: %w", err)
	}
	return kb.PrivateBytes, kb.PublicBytes, nil
}

// LoadSigner loads a signing key. ref is
//
//   - a path to a cosign private key file (as [GenerateKeyPair] or `cosign
//     generate-key-pair` write it),
//   - env://VAR: the same PEM in the environment variable VAR, or
//   - a KMS URI (awskms://, gcpkms://, azurekms://, hashivault://), handed to
//     sigstore's KMS support (see the package documentation for which
//     providers are built in).
//
// pass supplies the password of an encrypted key; nil means the empty
// password. It is not called for KMS keys.
func LoadSigner(ctx context.Context, ref string, pass PassFunc) (signature.SignerVerifier, error) {
	if scheme, ok := kmsScheme(ref); ok {
		return loadKMS(ctx, scheme, ref)
	}
	pemBytes, what, err := readKeyRef(ref)
	if err != nil {
		return nil, err
	}
	var pw []byte
	if pass != nil {
		if pw, err = pass(); err != nil {
			return nil, fmt.Errorf("private key %s: reading the password: %w", what, err)
		}
		defer clear(pw)
	}
	sv, err := cosign.LoadPrivateKey(pemBytes, pw, nil)
	if err != nil {
		if strings.Contains(err.Error(), "decrypt") {
			return nil, fmt.Errorf("private key %s: wrong password, or not a cosign key: %w", what, err)
		}
		return nil, fmt.Errorf("private key %s: %w", what, err)
	}
	return sv, nil
}

// LoadVerifier loads a public key to verify signatures with. ref is a path
// to a PEM public key (or a certificate, whose key is used), env://VAR with
// that PEM in the variable, or a KMS URI as for [LoadSigner].
func LoadVerifier(ctx context.Context, ref string) (signature.Verifier, error) {
	if scheme, ok := kmsScheme(ref); ok {
		return loadKMS(ctx, scheme, ref)
	}
	pemBytes, what, err := readKeyRef(ref)
	if err != nil {
		return nil, err
	}
	pub, err := publicKeyFromPEM(pemBytes)
	if err != nil {
		return nil, fmt.Errorf("public key %s: %w", what, err)
	}
	// The options `cosign verify --key` loads a public key with.
	v, err := signature.LoadVerifierWithOpts(pub, options.WithHash(crypto.SHA256), options.WithED25519ph())
	if err != nil {
		return nil, fmt.Errorf("public key %s: %w", what, err)
	}
	return v, nil
}

// readKeyRef reads the PEM a file or env:// reference names, and says what
// it read for error messages (never the content).
func readKeyRef(ref string) (pemBytes []byte, what string, err error) {
	switch {
	case ref == "":
		return nil, "", errors.New("no key given: want a file, env://VAR or a KMS URI")
	case strings.HasPrefix(ref, envPrefix):
		name := strings.TrimPrefix(ref, envPrefix)
		if name == "" {
			return nil, ref, fmt.Errorf("key %s: no variable named", ref)
		}
		v, ok := os.LookupEnv(name)
		if !ok || strings.TrimSpace(v) == "" {
			return nil, ref, fmt.Errorf("key %s: environment variable %s is not set", ref, name)
		}
		return []byte(v), ref, nil
	case strings.Contains(ref, "://"):
		scheme, _, _ := strings.Cut(ref, "://")
		return nil, ref, fmt.Errorf("key %s: unsupported scheme %q: want a file, env://VAR, %s", ref, scheme, strings.Join(kmsSchemes, "://, ")+"://")
	}
	b, err := os.ReadFile(ref)
	if err != nil {
		return nil, ref, fmt.Errorf("key: %w", err)
	}
	return b, ref, nil
}

// publicKeyFromPEM reads a PEM public key, or the key of a PEM certificate.
func publicKeyFromPEM(b []byte) (crypto.PublicKey, error) {
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, errors.New("no PEM data")
	}
	if blk.Type == "CERTIFICATE" {
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, err
		}
		return c.PublicKey, nil
	}
	if strings.Contains(blk.Type, "PRIVATE KEY") {
		return nil, fmt.Errorf("PEM type %q is a private key: give the public key", blk.Type)
	}
	return cryptoutils.UnmarshalPEMToPublicKey(b)
}
