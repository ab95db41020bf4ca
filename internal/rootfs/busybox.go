package rootfs

import (
	"bytes"
	"errors"
	"sort"
)

// debugDir holds the :debug variants' busybox applet links, as in distroless.
const debugDir = "busybox"

// busyboxApplets reads the applet names from a busybox binary. busybox keeps
// them as one NUL-separated, sorted string that starts with "[" and "[[";
// reading it from the binary (rather than running `busybox --list`, which would
// need the target architecture) keeps the links exactly those the binary has.
func busyboxApplets(bin []byte) ([]string, error) {
	start := bytes.Index(bin, []byte("\x00[\x00[[\x00"))
	if start < 0 {
		return nil, errors.New("busybox applet table not found in the binary")
	}
	start++
	end := bytes.Index(bin[start:], []byte("\x00\x00"))
	if end < 0 {
		return nil, errors.New("busybox applet table is not terminated")
	}
	names := bytes.Split(bin[start:start+end], []byte{0})
	out := make([]string, 0, len(names))
	for _, n := range names {
		if len(n) == 0 || bytes.ContainsAny(n, "/ \n") {
			return nil, errors.New("busybox applet table has an unexpected entry")
		}
		out = append(out, string(n))
	}
	if !sort.StringsAreSorted(out) || len(out) < 10 {
		return nil, errors.New("busybox applet table is not a sorted list of applets")
	}
	return out, nil
}

// addBusyboxLinks creates /busybox/<applet> → /usr/bin/busybox for every applet.
func (t *tree) addBusyboxLinks(applets []string) {
	t.dir(debugDir, 0o755, 0, 0)
	t.symlink(debugDir+"/busybox", "/usr/bin/busybox")
	for _, a := range applets {
		if a == "busybox" {
			continue
		}
		t.symlink(debugDir+"/"+a, "/usr/bin/busybox")
	}
}
