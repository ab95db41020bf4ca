package debian

import (
	"bytes"
	_ "embed"
	"fmt"
	"os"

	"github.com/ProtonMail/go-crypto/openpgp"
)

// debianArchiveKeyring is Debian's archive keyring (debian-archive-keyring),
// used when no Signed-By keyring is configured.
//
//go:embed keyrings/debian-archive-keyring.gpg
var debianArchiveKeyring []byte

// LoadKeyring reads an OpenPGP keyring, binary or ASCII-armored. An empty
// path selects the embedded Debian archive keyring.
func LoadKeyring(path string) (openpgp.EntityList, error) {
	data := debianArchiveKeyring
	name := "embedded Debian archive keyring"
	if path != "" {
		var err error
		if data, err = os.ReadFile(path); err != nil {
			return nil, fmt.Errorf("loading keyring: %w", err)
		}
		name = path
	}
	return ParseKeyring(name, data)
}

// ParseKeyring parses a binary or ASCII-armored keyring; name is used in errors.
func ParseKeyring(name string, data []byte) (openpgp.EntityList, error) {
	var (
		el  openpgp.EntityList
		err error
	)
	if bytes.HasPrefix(bytes.TrimSpace(data), []byte("-----BEGIN PGP")) {
		el, err = openpgp.ReadArmoredKeyRing(bytes.NewReader(data))
	} else {
		el, err = openpgp.ReadKeyRing(bytes.NewReader(data))
	}
	if err != nil {
		return nil, fmt.Errorf("loading keyring %s: %w", name, err)
	}
	if len(el) == 0 {
		return nil, fmt.Errorf("loading keyring %s: no keys", name)
	}
	return el, nil
}
