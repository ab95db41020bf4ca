package spec

import "strings"

// Flavours distill assembles from Debian packages (internal/rootfs holds the
// recipes; a test keeps these lists and that table in step).
var (
	RuntimeFlavours = []string{"static", "base", "cc", "python3", "nodejs"}
	BuilderFlavours = []string{"debian", "go", "node", "python"}
)

// DebugSuffix selects a runtime flavour's busybox variant ("static:debug").
const DebugSuffix = ":debug"

// IsFlavour reports whether name is one of the flavours in list, with an
// optional ":debug" suffix when debug is allowed.
func IsFlavour(name string, list []string, debugAllowed bool) bool {
	base, debug := strings.CutSuffix(name, DebugSuffix)
	if debug && !debugAllowed {
		return false
	}
	for _, f := range list {
		if f == base {
			return true
		}
	}
	return false
}
