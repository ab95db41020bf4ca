package debian

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
	pgperrors "github.com/ProtonMail/go-crypto/openpgp/errors"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// Release is the parsed, verified content of an InRelease file.
type Release struct {
	Origin, Label, Suite, Codename, Version string
	Date, ValidUntil                        time.Time // zero when absent
	Architectures, Components               []string
	// SHA256 maps paths relative to dists/<suite>/ to their size and digest.
	SHA256        map[string]FileInfo
	AcquireByHash bool
	// Signer is the primary key fingerprint (hex) of the key whose
	// signature was verified.
	Signer string
}

// FileInfo is one entry of a Release checksum list.
type FileInfo struct {
	Size   int64
	SHA256 string // lower-case hex
}

// SignatureError reports an InRelease file whose signature could not be
// verified against the keyring.
type SignatureError struct {
	Reason string // "unsigned", "unknown key", "bad signature", "key expired", "key revoked", …
	Err    error  // underlying OpenPGP error, if any
}

func (e *SignatureError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("InRelease signature: %s: %v", e.Reason, e.Err)
	}
	return "InRelease signature: " + e.Reason
}

func (e *SignatureError) Unwrap() error { return e.Err }

// ReleaseExpiredError reports a Release whose Valid-Until has passed.
type ReleaseExpiredError struct {
	Suite      string
	ValidUntil time.Time
	Now        time.Time
}

func (e *ReleaseExpiredError) Error() string {
	return fmt.Sprintf("release %s expired at %s (now %s); the mirror is stale or replaying old metadata",
		e.Suite, e.ValidUntil.UTC().Format(time.RFC1123), e.Now.UTC().Format(time.RFC1123))
}

// VerifyInRelease checks the clearsigned InRelease data against keyring and
// parses the signed text. Any one signature by a key in the keyring that
// verifies is enough; signatures by unknown keys are skipped. Key expiry and
// revocation are judged at now. Failures are *SignatureError; a Release whose
// Valid-Until is before now is refused with *ReleaseExpiredError.
func VerifyInRelease(data []byte, keyring openpgp.EntityList, now time.Time) (*Release, error) {
	return verifyInRelease(data, keyring, now, true)
}

func verifyInRelease(data []byte, keyring openpgp.EntityList, now time.Time, checkValidUntil bool) (*Release, error) {
	signer, text, err := verifyClearsigned(data, keyring, now)
	if err != nil {
		return nil, err
	}
	rel, err := ParseRelease(text)
	if err != nil {
		return nil, err
	}
	rel.Signer = signer
	if checkValidUntil && !rel.ValidUntil.IsZero() && now.After(rel.ValidUntil) {
		return nil, &ReleaseExpiredError{Suite: rel.suiteName(), ValidUntil: rel.ValidUntil, Now: now}
	}
	return rel, nil
}

func (r *Release) suiteName() string {
	if r.Codename != "" {
		return r.Codename
	}
	return r.Suite
}

// verifyClearsigned returns the signer's fingerprint and the verified text.
func verifyClearsigned(data []byte, keyring openpgp.EntityList, now time.Time) (string, []byte, error) {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if !bytes.HasPrefix(trimmed, []byte("-----BEGIN PGP SIGNED MESSAGE-----")) {
		return "", nil, &SignatureError{Reason: "unsigned (not an OpenPGP clearsigned message)"}
	}
	block, rest := clearsign.Decode(trimmed)
	if block == nil {
		return "", nil, &SignatureError{Reason: "unsigned (malformed clearsigned message)"}
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return "", nil, &SignatureError{Reason: "trailing data after the signature"}
	}
	sigData, err := io.ReadAll(block.ArmoredSignature.Body)
	if err != nil {
		return "", nil, &SignatureError{Reason: "unreadable signature", Err: err}
	}

	// Collect the issuers of all signature packets; a release is commonly
	// signed by several archive keys.
	var issuers []uint64
	pr := packet.NewReader(bytes.NewReader(sigData))
	for {
		p, err := pr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", nil, &SignatureError{Reason: "malformed signature", Err: err}
		}
		sig, ok := p.(*packet.Signature)
		if !ok {
			return "", nil, &SignatureError{Reason: "malformed signature", Err: fmt.Errorf("unexpected %T packet", p)}
		}
		if sig.IssuerKeyId != nil {
			issuers = append(issuers, *sig.IssuerKeyId)
		}
	}
	if len(issuers) == 0 {
		return "", nil, &SignatureError{Reason: "unsigned (no signature with an issuer)"}
	}

	cfg := &packet.Config{Time: func() time.Time { return now }}
	var firstErr *SignatureError
	known := false
	for _, id := range issuers {
		if len(keyring.KeysByIdUsage(id, packet.KeyFlagSign)) == 0 {
			continue
		}
		known = true
		// Restrict the keyring to this issuer so that the library verifies
		// this signature rather than the first one it knows a key for.
		_, signer, err := openpgp.VerifyDetachedSignature(issuerKeyring{keyring, id},
			bytes.NewReader(block.Bytes), bytes.NewReader(sigData), cfg)
		if err == nil && signer != nil {
			return fmt.Sprintf("%X", signer.PrimaryKey.Fingerprint), block.Plaintext, nil
		}
		if firstErr == nil {
			firstErr = classifySignatureError(err)
		}
	}
	if !known {
		ids := make([]string, len(issuers))
		for i, id := range issuers {
			ids[i] = fmt.Sprintf("%016X", id)
		}
		return "", nil, &SignatureError{Reason: "unknown key", Err: fmt.Errorf("signed by %s, none of which is in the keyring", strings.Join(ids, ", "))}
	}
	return "", nil, firstErr
}

func classifySignatureError(err error) *SignatureError {
	switch {
	case err == nil:
		return &SignatureError{Reason: "bad signature"}
	case errors.Is(err, pgperrors.ErrKeyExpired):
		return &SignatureError{Reason: "key expired", Err: err}
	case errors.Is(err, pgperrors.ErrKeyRevoked):
		return &SignatureError{Reason: "key revoked", Err: err}
	case errors.Is(err, pgperrors.ErrSignatureExpired):
		return &SignatureError{Reason: "signature expired", Err: err}
	default:
		return &SignatureError{Reason: "bad signature", Err: err}
	}
}

// issuerKeyring exposes only the keys of one issuer of an underlying keyring.
type issuerKeyring struct {
	openpgp.EntityList
	id uint64
}

func (k issuerKeyring) KeysById(id uint64) []openpgp.Key {
	if id != k.id {
		return nil
	}
	return k.EntityList.KeysById(id)
}

func (k issuerKeyring) KeysByIdUsage(id uint64, usage byte) []openpgp.Key {
	if id != k.id {
		return nil
	}
	return k.EntityList.KeysByIdUsage(id, usage)
}

// ParseRelease parses the (already verified) text of a Release file.
func ParseRelease(text []byte) (*Release, error) {
	para, err := parseParagraph(text)
	if err != nil {
		return nil, fmt.Errorf("parsing Release: %w", err)
	}
	if para == nil {
		return nil, errors.New("parsing Release: empty")
	}
	get := func(k string) string { return strings.TrimSpace(para.Values[k]) }
	r := &Release{
		Origin:        get("Origin"),
		Label:         get("Label"),
		Suite:         get("Suite"),
		Codename:      get("Codename"),
		Version:       get("Version"),
		Architectures: strings.Fields(get("Architectures")),
		Components:    strings.Fields(get("Components")),
		AcquireByHash: strings.EqualFold(get("Acquire-By-Hash"), "yes"),
		SHA256:        map[string]FileInfo{},
	}
	if v := get("Date"); v != "" {
		if r.Date, err = parseReleaseTime(v); err != nil {
			return nil, fmt.Errorf("parsing Release Date: %w", err)
		}
	}
	if v := get("Valid-Until"); v != "" {
		if r.ValidUntil, err = parseReleaseTime(v); err != nil {
			return nil, fmt.Errorf("parsing Release Valid-Until: %w", err)
		}
	}
	for _, line := range strings.Split(para.Values["SHA256"], "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) != 3 || len(f[0]) != 64 {
			return nil, fmt.Errorf("parsing Release SHA256: malformed line %q", line)
		}
		size, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil || size < 0 {
			return nil, fmt.Errorf("parsing Release SHA256: bad size in %q", line)
		}
		r.SHA256[f[2]] = FileInfo{Size: size, SHA256: strings.ToLower(f[0])}
	}
	if len(r.SHA256) == 0 {
		return nil, errors.New("parsing Release: no SHA256 checksums")
	}
	return r, nil
}

// Files returns the paths listed in the SHA256 field, sorted.
func (r *Release) Files() []string {
	out := make([]string, 0, len(r.SHA256))
	for k := range r.SHA256 {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// parseReleaseTime parses the RFC 2822 style dates of Release files.
func parseReleaseTime(s string) (time.Time, error) {
	layouts := []string{
		time.RFC1123,                     // Mon, 02 Jan 2006 15:04:05 MST
		time.RFC1123Z,                    // Mon, 02 Jan 2006 15:04:05 -0700
		"Mon, 2 Jan 2006 15:04:05 MST",   // single-digit day
		"Mon, 2 Jan 2006 15:04:05 -0700", // single-digit day, numeric zone
	}
	for _, l := range layouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("unrecognised time %q", s)
}
