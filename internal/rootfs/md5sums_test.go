package rootfs

import (
	"archive/tar"
	"testing"
)

// md5sums lists hard links under each name, as the package's own md5sums
// does, sorted by path (not by checksum), and leaves out links the layer
// drops.
func TestMd5sumsHardLinksAndPathOrder(t *testing.T) {
	tr := newTree()
	tr.add(&entry{path: "usr/share/zoneinfo/Etc/UTC", typ: tar.TypeReg, data: []byte("TZif"), owner: "tzdata"})
	tr.add(&entry{path: "usr/share/zoneinfo/UTC", typ: tar.TypeLink, linkname: "usr/share/zoneinfo/Etc/UTC", owner: "tzdata"})
	tr.add(&entry{path: "usr/share/zoneinfo/Zulu", typ: tar.TypeLink, linkname: "usr/share/zoneinfo/gone", owner: "tzdata"})
	tr.add(&entry{path: "usr/share/zoneinfo/A", typ: tar.TypeReg, data: []byte("b"), owner: "tzdata"}) // its md5 sorts after UTC's
	got := string(tr.md5sums("tzdata"))
	want := "92eb5ffee6ae2fec3ad71c777531578f  usr/share/zoneinfo/A\n" +
		"63fcc65954c54d8aa9215d2ac806916a  usr/share/zoneinfo/Etc/UTC\n" +
		"63fcc65954c54d8aa9215d2ac806916a  usr/share/zoneinfo/UTC\n"
	if got != want {
		t.Fatalf("md5sums:\n%s\nwant:\n%s", got, want)
	}
}
