package rootfs

import (
	"bytes"
	"fmt"
	"strings"
)

// Nonroot is the user and group id images run as by default, as in distroless.
const Nonroot = 65532

// runtimePasswd and runtimeGroup are the account databases of runtime images:
// root, nobody and nonroot, no login shells (there is no shell).
const runtimePasswd = `root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
`

const runtimeGroup = `root:x:0:
tty:x:5:
staff:x:50:
nogroup:x:65534:
nonroot:x:65532:
`

// builderAccounts derives /etc/passwd and /etc/group of builder images from
// base-passwd's master files (what its maintainer script installs) and adds
// nonroot, so build and test stages can run as the same user as the runtime.
func builderAccounts(passwdMaster, groupMaster []byte) (passwd, group []byte, err error) {
	if len(passwdMaster) == 0 || len(groupMaster) == 0 {
		return nil, nil, fmt.Errorf("base-passwd master files missing: is base-passwd in the package set?")
	}
	passwd = appendAccount(passwdMaster, "nonroot", "nonroot:x:65532:65532:nonroot:/home/nonroot:/usr/sbin/nologin")
	group = appendAccount(groupMaster, "nonroot", "nonroot:x:65532:")
	return passwd, group, nil
}

func appendAccount(db []byte, name, line string) []byte {
	for _, l := range strings.Split(string(db), "\n") {
		if strings.HasPrefix(l, name+":") {
			return db
		}
	}
	out := bytes.TrimRight(db, "\n")
	return append(append(out, '\n'), line+"\n"...)
}

// nsswitch is what base-files' maintainer script installs: files first, then DNS.
const nsswitch = `passwd:         files
group:          files
shadow:         files
gshadow:        files

hosts:          files dns
networks:       files

protocols:      files
services:       files
ethers:         files
rpc:            files
`
