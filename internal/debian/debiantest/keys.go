package debiantest

import (
	"bytes"
	"io"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// Now is the fixed time the fixtures live at: keys are created a day before,
// releases are signed an hour before and dated two hours before. Pass it as a
// client's clock (debian.WithClock(debiantest.Now)).
func Now() time.Time { return time.Date(2025, 5, 20, 12, 0, 0, 0, time.UTC) }

// NewKey generates an Ed25519 signing key, created a day before Now, whose
// user id carries name.
func NewKey(t testing.TB, name string) *openpgp.Entity {
	t.Helper()
	return NewKeyWithConfig(t, name, &packet.Config{
		Algorithm: packet.PubKeyAlgoEdDSA,
		Time:      func() time.Time { return Now().Add(-24 * time.Hour) },
	})
}

// NewKeyWithConfig generates a key with cfg (algorithm, creation time,
// lifetime), for tests of expired or otherwise unusual keys.
func NewKeyWithConfig(t testing.TB, name string, cfg *packet.Config) *openpgp.Entity {
	t.Helper()
	e, err := openpgp.NewEntity("Test Archive Key", name, "archive@example.invalid", cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// PublicKeyring returns the public part of keys, serialised and parsed back
// as a verifier reads a binary keyring file.
func PublicKeyring(t testing.TB, keys ...*openpgp.Entity) openpgp.EntityList {
	t.Helper()
	el, err := openpgp.ReadKeyRing(bytes.NewReader(PublicKeyringBytes(t, keys...)))
	if err != nil {
		t.Fatal(err)
	}
	return el
}

// PublicKeyringBytes returns the public part of keys as a binary keyring
// (what a .gpg keyring file holds).
func PublicKeyringBytes(t testing.TB, keys ...*openpgp.Entity) []byte {
	t.Helper()
	var buf bytes.Buffer
	for _, k := range keys {
		if err := k.Serialize(&buf); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// Clearsign clearsigns text with each of keys, as an InRelease file is signed,
// with signatures made an hour before Now.
func Clearsign(t testing.TB, text string, keys ...*openpgp.Entity) []byte {
	t.Helper()
	var priv []*packet.PrivateKey
	for _, k := range keys {
		priv = append(priv, k.PrivateKey)
	}
	var buf bytes.Buffer
	cfg := &packet.Config{Time: func() time.Time { return Now().Add(-time.Hour) }}
	w, err := clearsign.EncodeMulti(&buf, priv, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(w, text); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
