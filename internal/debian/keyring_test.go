package debian

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp/armor"

	"github.com/distill-dev/distill/internal/debian/debiantest"
)

func TestLoadKeyringEmbedded(t *testing.T) {
	el, err := LoadKeyring("")
	if err != nil {
		t.Fatal(err)
	}
	// The bookworm archive signing key (Debian 12) must be in the keyring.
	const bookwormArchiveKey = "B8B80B5B623EAB6AD8775C45B7C5D7D6350947F8"
	found := false
	for _, e := range el {
		if strings.EqualFold(keyFingerprint(e.PrimaryKey), bookwormArchiveKey) {
			found = true
		}
	}
	if !found {
		t.Errorf("embedded keyring (%d keys) lacks %s", len(el), bookwormArchiveKey)
	}
}

func TestLoadKeyringFormats(t *testing.T) {
	key := debiantest.NewKey(t, "archive")
	bin := debiantest.PublicKeyringBytes(t, key)
	var asc bytes.Buffer
	w, err := armor.Encode(&asc, "PGP PUBLIC KEY BLOCK", nil)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(bin)
	w.Close()

	dir := t.TempDir()
	for name, data := range map[string][]byte{"key.gpg": bin, "key.asc": append([]byte("\n"), asc.Bytes()...)} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		el, err := LoadKeyring(path)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(el) != 1 || el[0].PrimaryKey.KeyId != key.PrimaryKey.KeyId {
			t.Errorf("%s: loaded %d keys", name, len(el))
		}
	}

	if _, err := LoadKeyring(filepath.Join(dir, "missing.gpg")); err == nil {
		t.Error("missing keyring loaded")
	}
	garbage := filepath.Join(dir, "garbage.gpg")
	os.WriteFile(garbage, []byte("not a key"), 0o644)
	if _, err := LoadKeyring(garbage); err == nil || !strings.Contains(err.Error(), garbage) {
		t.Errorf("garbage keyring: %v", err)
	}
}
