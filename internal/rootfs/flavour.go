package rootfs

import (
	"fmt"
	"slices"
	"strings"
)

// Kind says what an image is for.
type Kind string

const (
	// Runtime images ship: no shell, no package manager, nonroot by default.
	Runtime Kind = "runtime"
	// Builder images run build and test stages: a Debian userland plus a toolchain.
	Builder Kind = "builder"
)

// Flavour is a named image recipe. Its layers are those of its parent followed
// by one layer of its own, so flavours that share a parent share its layer
// blobs (static ⊂ base ⊂ cc).
type Flavour struct {
	Name        string
	Kind        Kind
	Description string
	// Parent is the flavour whose layers come first, "" for none.
	Parent string
	// Packages are installed with their dependencies (Depends, Pre-Depends).
	Packages []string
	// MinBase adds every package of priority required or Essential (what
	// debootstrap's minbase variant installs), except package managers.
	MinBase bool
	// Omit names dependencies that only maintainer scripts use. distill does not
	// run maintainer scripts, so it never installs them; the reason is printed
	// by `distill base list`.
	Omit []string
	// Toolchain adds a toolchain layer ("go"), empty for none.
	Toolchain string
}

// DebugSuffix selects a flavour's debug variant: busybox in /busybox, a shell entrypoint.
const DebugSuffix = ":debug"

// maintainerScriptDeps are dependencies of runtime packages that exist only for
// their maintainer scripts (debconf prompts, base-files' awk, ca-certificates'
// openssl rehash). distill generates what those scripts would have generated.
var maintainerScriptDeps = []string{"awk", "debconf", "debconf-2.0", "openssl"}

// pythonScriptDeps adds dpkg: python3-minimal depends on it for py3compile,
// which its maintainer scripts run to byte-compile and which lists package
// files with dpkg -L; readline-common's "dpkg | install-info" is for its info
// manual. Python compiles modules on import without them.
var pythonScriptDeps = append(slices.Clone(maintainerScriptDeps), "dpkg")

// packageManagers never go into distill images, builder or runtime: packages
// are declared in the pipeline and installed by distill.
var packageManagers = []string{"apt", "apt-utils"}

var flavours = []Flavour{
	{
		Name: "static", Kind: Runtime,
		Description: "for static binaries (Go with CGO off, Rust musl): CA certificates, tzdata, netbase, /etc/passwd with root and nonroot",
		Packages:    []string{"base-files", "ca-certificates", "netbase", "tzdata"},
		Omit:        maintainerScriptDeps,
	},
	{
		Name: "base", Kind: Runtime, Parent: "static",
		Description: "static + glibc and OpenSSL, for dynamically linked binaries",
		Packages:    []string{"libc6", "libssl3"},
		Omit:        maintainerScriptDeps,
	},
	{
		Name: "cc", Kind: Runtime, Parent: "base",
		Description: "base + libgcc and libstdc++, for C++ and CGO binaries",
		Packages:    []string{"libgcc-s1", "libgomp1", "libstdc++6"},
		Omit:        maintainerScriptDeps,
	},
	{
		Name: "python3", Kind: Runtime, Parent: "cc",
		Description: "cc + Python 3.11 and its standard library (/usr/bin/python3), like distroless python3-debian12",
		// python3.11-minimal is the interpreter and the core modules (ssl among
		// them), libpython3.11-stdlib the rest of the standard library (sqlite3,
		// json, http, zoneinfo…) and python3-minimal the /usr/bin/python3 link
		// that venvs point at. On cc, as distroless: C++ extension modules from
		// manylinux wheels link against the system's libstdc++.
		Packages: []string{"python3.11-minimal", "libpython3.11-stdlib", "python3-minimal"},
		Omit:     pythonScriptDeps,
	},
	{
		Name: "nodejs", Kind: Runtime, Parent: "cc",
		Description: "cc + Node.js 18 (/usr/bin/node) with libnode and its libraries, no npm, like distroless nodejs",
		Packages:    []string{"nodejs"},
		Omit:        maintainerScriptDeps,
	},
	{
		Name: "debian", Kind: Builder,
		Description: "Debian minbase (required packages, no apt) with CA certificates, git and a C toolchain",
		MinBase:     true,
		Packages:    []string{"usr-is-merged", "ca-certificates", "git", "gcc", "libc6-dev", "make"},
	},
	{
		Name: "go", Kind: Builder, Parent: "debian",
		Description: "debian + the Go toolchain from the golang.org/toolchain module (checksum-verified)",
		Toolchain:   "go",
	},
	{
		Name: "node", Kind: Builder, Parent: "debian",
		Description: "debian + Node.js 18 and Debian's npm (node-* packages)",
		Packages:    []string{"nodejs", "npm"},
	},
	{
		Name: "python", Kind: Builder, Parent: "debian",
		Description: "debian + Python 3.11, pip and venv (python3 -m venv with ensurepip)",
		Packages:    []string{"python3", "python3-pip", "python3-venv"},
	},
}

// busyboxPackage provides the :debug variants' shell and tools (statically linked).
const busyboxPackage = "busybox-static"

// Flavours lists the known flavours in a stable order.
func Flavours() []Flavour { return slices.Clone(flavours) }

// Lookup finds a flavour by name. "static:debug" returns static with debug set.
func Lookup(name string) (f Flavour, debug bool, err error) {
	base, debug := strings.CutSuffix(name, DebugSuffix)
	for _, f := range flavours {
		if f.Name == base {
			if debug && f.Kind != Runtime {
				return Flavour{}, false, fmt.Errorf("flavour %q: only runtime flavours have a %s variant (builders already have a shell)", name, DebugSuffix)
			}
			return f, debug, nil
		}
	}
	names := make([]string, len(flavours))
	for i, f := range flavours {
		names[i] = f.Name
	}
	return Flavour{}, false, fmt.Errorf("unknown flavour %q (known: %s; append %s for a runtime debug variant)", name, strings.Join(names, ", "), DebugSuffix)
}

// chain returns the flavour's ancestry, root first. The flavour table is
// static and a test checks every parent exists.
func (f Flavour) chain() []Flavour {
	out := []Flavour{f}
	for cur := f; cur.Parent != ""; {
		i := slices.IndexFunc(flavours, func(p Flavour) bool { return p.Name == cur.Parent })
		if i < 0 {
			break
		}
		cur = flavours[i]
		out = append([]Flavour{cur}, out...)
	}
	return out
}

// MaintainerScriptDeps lists the dependencies runtime flavours never install:
// every name a runtime flavour omits, sorted.
func MaintainerScriptDeps() []string {
	var out []string
	for _, f := range flavours {
		if f.Kind == Runtime {
			out = append(out, f.Omit...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
