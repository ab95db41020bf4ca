package debian

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/distill-dev/distill/internal/debian/debiantest"
)

const testReleaseText = `Origin: Debian
Label: Debian
Suite: stable
Version: 12.11
Codename: bookworm
Date: Sat, 17 May 2025 09:17:06 UTC
Acquire-By-Hash: yes
Architectures: all amd64 arm64
Components: main contrib
Description: Debian 12.11 Released 17 May 2025
MD5Sum:
 0ed6d4c8891eb86358b94bb35d9e4da4  1484322 contrib/Contents-all
SHA256:
 515e692f2c4121c6fcec444ef100cc18f79a991910615f3a88c8b7becfc94d2f 50060337 main/binary-amd64/Packages
 9e0b5aabb2465b3d2e7a7fe27f9913846277833f7a2826e7767acccff5b588c5  8790396 main/binary-amd64/Packages.xz
`

func TestVerifyInReleaseGood(t *testing.T) {
	key := debiantest.NewKey(t, "archive")
	data := debiantest.Clearsign(t, testReleaseText, key)
	rel, err := VerifyInRelease(data, debiantest.PublicKeyring(t, key), debiantest.Now())
	if err != nil {
		t.Fatal(err)
	}
	if rel.Codename != "bookworm" || rel.Suite != "stable" || rel.Origin != "Debian" || rel.Version != "12.11" {
		t.Errorf("fields: %+v", rel)
	}
	if !rel.AcquireByHash {
		t.Error("AcquireByHash = false")
	}
	if want := time.Date(2025, 5, 17, 9, 17, 6, 0, time.UTC); !rel.Date.Equal(want) {
		t.Errorf("Date = %v, want %v", rel.Date, want)
	}
	if !rel.ValidUntil.IsZero() {
		t.Errorf("ValidUntil = %v, want zero", rel.ValidUntil)
	}
	if got := strings.Join(rel.Architectures, " "); got != "all amd64 arm64" {
		t.Errorf("Architectures = %q", got)
	}
	if got := strings.Join(rel.Components, " "); got != "main contrib" {
		t.Errorf("Components = %q", got)
	}
	want := FileInfo{Size: 8790396, SHA256: "9e0b5aabb2465b3d2e7a7fe27f9913846277833f7a2826e7767acccff5b588c5"}
	if got := rel.SHA256["main/binary-amd64/Packages.xz"]; got != want {
		t.Errorf("SHA256[Packages.xz] = %+v, want %+v", got, want)
	}
	if len(rel.SHA256) != 2 {
		t.Errorf("SHA256 has %d entries, want 2 (MD5Sum must not leak in)", len(rel.SHA256))
	}
	if got := strings.Join(rel.Files(), ","); got != "main/binary-amd64/Packages,main/binary-amd64/Packages.xz" {
		t.Errorf("Files() = %s", got)
	}
	if rel.Signer == "" {
		t.Error("Signer not recorded")
	}
}

func wantSignatureError(t *testing.T, err error, reason string) {
	t.Helper()
	var se *SignatureError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v (%T), want *SignatureError", err, err)
	}
	if !strings.Contains(se.Reason, reason) {
		t.Fatalf("Reason = %q, want it to contain %q", se.Reason, reason)
	}
}

func TestVerifyInReleaseTampered(t *testing.T) {
	key := debiantest.NewKey(t, "archive")
	data := debiantest.Clearsign(t, testReleaseText, key)
	tampered := bytes.Replace(data, []byte("50060337 main/binary-amd64/Packages"), []byte("50060338 main/binary-amd64/Packages"), 1)
	if bytes.Equal(tampered, data) {
		t.Fatal("tampering did not change the text")
	}
	_, err := VerifyInRelease(tampered, debiantest.PublicKeyring(t, key), debiantest.Now())
	wantSignatureError(t, err, "bad signature")
}

func TestVerifyInReleaseUnknownKey(t *testing.T) {
	signer := debiantest.NewKey(t, "rogue")
	trusted := debiantest.NewKey(t, "archive")
	data := debiantest.Clearsign(t, testReleaseText, signer)
	_, err := VerifyInRelease(data, debiantest.PublicKeyring(t, trusted), debiantest.Now())
	wantSignatureError(t, err, "unknown key")
	if !strings.Contains(err.Error(), "none of which is in the keyring") {
		t.Errorf("error %q does not explain the unknown key", err)
	}
}

func TestVerifyInReleaseUnsigned(t *testing.T) {
	key := debiantest.NewKey(t, "archive")
	_, err := VerifyInRelease([]byte(testReleaseText), debiantest.PublicKeyring(t, key), debiantest.Now())
	wantSignatureError(t, err, "unsigned")

	// A signed message with its signature block cut off is not accepted either.
	data := debiantest.Clearsign(t, testReleaseText, key)
	cut := data[:bytes.Index(data, []byte("-----BEGIN PGP SIGNATURE-----"))]
	_, err = VerifyInRelease(cut, debiantest.PublicKeyring(t, key), debiantest.Now())
	wantSignatureError(t, err, "unsigned")
}

func TestVerifyInReleaseTrailingData(t *testing.T) {
	key := debiantest.NewKey(t, "archive")
	data := debiantest.Clearsign(t, testReleaseText, key)
	data = append(data, []byte("\nOrigin: Evil\n")...)
	_, err := VerifyInRelease(data, debiantest.PublicKeyring(t, key), debiantest.Now())
	wantSignatureError(t, err, "trailing data")
}

// Debian signs releases with several keys; one known key that verifies is
// enough, whatever the order of the signatures.
func TestVerifyInReleaseSeveralSignatures(t *testing.T) {
	unknown := debiantest.NewKey(t, "other")
	trusted := debiantest.NewKey(t, "archive")
	data := debiantest.Clearsign(t, testReleaseText, unknown, trusted)
	rel, err := VerifyInRelease(data, debiantest.PublicKeyring(t, trusted), debiantest.Now())
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.ToUpper(keyFingerprint(trusted.PrimaryKey)); rel.Signer != want {
		t.Errorf("Signer = %s, want %s", rel.Signer, want)
	}
}

func keyFingerprint(k *packet.PublicKey) string {
	const hexdigits = "0123456789abcdef"
	var b strings.Builder
	for _, c := range k.Fingerprint {
		b.WriteByte(hexdigits[c>>4])
		b.WriteByte(hexdigits[c&15])
	}
	return b.String()
}

func TestVerifyInReleaseExpiredKey(t *testing.T) {
	cfg := &packet.Config{
		Algorithm:       packet.PubKeyAlgoEdDSA,
		Time:            func() time.Time { return debiantest.Now().Add(-48 * time.Hour) },
		KeyLifetimeSecs: 3600,
	}
	key := debiantest.NewKeyWithConfig(t, "archive", cfg)
	data := debiantest.Clearsign(t, testReleaseText, key)
	_, err := VerifyInRelease(data, debiantest.PublicKeyring(t, key), debiantest.Now())
	wantSignatureError(t, err, "expired")
}

func TestVerifyInReleaseRevokedKey(t *testing.T) {
	key := debiantest.NewKey(t, "archive")
	if err := key.RevokeKey(packet.KeyCompromised, "test", &packet.Config{Time: func() time.Time { return debiantest.Now().Add(-time.Minute) }}); err != nil {
		t.Fatal(err)
	}
	data := debiantest.Clearsign(t, testReleaseText, key)
	_, err := VerifyInRelease(data, debiantest.PublicKeyring(t, key), debiantest.Now())
	wantSignatureError(t, err, "revoked")
}

func TestVerifyInReleaseValidUntil(t *testing.T) {
	key := debiantest.NewKey(t, "archive")
	validUntil := debiantest.Now().Add(-time.Minute)
	text := strings.Replace(testReleaseText, "Acquire-By-Hash", "Valid-Until: "+validUntil.Format(time.RFC1123)+"\nAcquire-By-Hash", 1)
	data := debiantest.Clearsign(t, text, key)
	_, err := VerifyInRelease(data, debiantest.PublicKeyring(t, key), debiantest.Now())
	var ee *ReleaseExpiredError
	if !errors.As(err, &ee) {
		t.Fatalf("err = %v, want *ReleaseExpiredError", err)
	}
	if ee.Suite != "bookworm" || !ee.ValidUntil.Equal(validUntil) {
		t.Errorf("error = %+v", ee)
	}
	// Before Valid-Until it is accepted.
	rel, err := VerifyInRelease(data, debiantest.PublicKeyring(t, key), debiantest.Now().Add(-30*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if rel.ValidUntil.IsZero() {
		t.Error("ValidUntil not parsed")
	}
	// The client can be told to accept it (snapshot mirrors).
	if _, err := verifyInRelease(data, debiantest.PublicKeyring(t, key), debiantest.Now(), false); err != nil {
		t.Errorf("with the check off: %v", err)
	}
}

// A real bookworm-updates InRelease verifies against the embedded Debian
// archive keyring (it carries several signatures, by RSA and Ed25519 keys).
func TestVerifyInReleaseRealDebian(t *testing.T) {
	data, err := os.ReadFile("testdata/bookworm-updates.InRelease")
	if err != nil {
		t.Fatal(err)
	}
	kr, err := LoadKeyring("")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	rel, err := VerifyInRelease(data, kr, at)
	if err != nil {
		t.Fatal(err)
	}
	if rel.Codename != "bookworm-updates" {
		t.Errorf("Codename = %q", rel.Codename)
	}
	if _, ok := rel.SHA256["main/binary-amd64/Packages.xz"]; !ok {
		t.Error("no main/binary-amd64/Packages.xz entry")
	}
	tampered := bytes.Replace(data, []byte("Codename: bookworm-updates"), []byte("Codename: bookworm-updatez"), 1)
	_, err = VerifyInRelease(tampered, kr, at)
	wantSignatureError(t, err, "bad signature")
}

func TestParseReleaseErrors(t *testing.T) {
	for name, text := range map[string]string{
		"no sha256":    "Origin: Debian\nCodename: x\n",
		"bad line":     "Codename: x\nSHA256:\n abc 12 main/Packages\n",
		"bad size":     "Codename: x\nSHA256:\n " + strings.Repeat("a", 64) + " -1 main/Packages\n",
		"bad date":     "Codename: x\nDate: yesterday\nSHA256:\n " + strings.Repeat("a", 64) + " 1 main/Packages\n",
		"empty":        "",
		"not a header": "this is not a control file\n",
	} {
		if _, err := ParseRelease([]byte(text)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// When the first signature by a known key fails (its key expired), a later
// signature by another known key still verifies the release.
func TestVerifyInReleaseFirstKnownSignatureFails(t *testing.T) {
	expired := debiantest.NewKeyWithConfig(t, "archive", &packet.Config{
		Algorithm:       packet.PubKeyAlgoEdDSA,
		Time:            func() time.Time { return debiantest.Now().Add(-48 * time.Hour) },
		KeyLifetimeSecs: 3600,
	})
	good := debiantest.NewKey(t, "archive")
	data := debiantest.Clearsign(t, testReleaseText, expired, good)
	rel, err := VerifyInRelease(data, debiantest.PublicKeyring(t, expired, good), debiantest.Now())
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.ToUpper(keyFingerprint(good.PrimaryKey)); rel.Signer != want {
		t.Errorf("Signer = %s, want %s", rel.Signer, want)
	}
}
