package rootfs

import (
	"archive/tar"
	"bytes"
	"sort"
	"strings"
)

// CABundle is where images carry the trusted CA certificates, as on Debian.
const CABundle = "etc/ssl/certs/ca-certificates.crt"

const caSourceDir = "usr/share/ca-certificates/"

// caBundle concatenates the certificates the ca-certificates package ships, in
// the order update-ca-certificates uses (sorted paths), each ending in a
// newline. It returns nil when the tree has none.
func (t *tree) caBundle() []byte {
	var certs []*entry
	for p, e := range t.entries {
		if e.typ == tar.TypeReg && strings.HasPrefix(p, caSourceDir) && strings.HasSuffix(p, ".crt") {
			certs = append(certs, e)
		}
	}
	if len(certs) == 0 {
		return nil
	}
	sort.Slice(certs, func(i, j int) bool { return certs[i].path < certs[j].path })
	var b bytes.Buffer
	for _, c := range certs {
		b.Write(c.data)
		if !bytes.HasSuffix(c.data, []byte("\n")) {
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}
