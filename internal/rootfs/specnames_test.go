package rootfs_test

import (
	"slices"
	"testing"

	"github.com/distill-dev/distill/internal/rootfs"
	"github.com/distill-dev/distill/pipeline/spec"
)

// distill.yaml validation knows the flavour names without importing this
// package; its lists must name exactly the flavours of the table, in order.
func TestSpecNamesEveryFlavour(t *testing.T) {
	var runtimes, builders []string
	for _, f := range rootfs.Flavours() {
		switch f.Kind {
		case rootfs.Runtime:
			runtimes = append(runtimes, f.Name)
		case rootfs.Builder:
			builders = append(builders, f.Name)
		}
	}
	if !slices.Equal(spec.RuntimeFlavours, runtimes) {
		t.Errorf("spec.RuntimeFlavours = %q, the flavour table has %q", spec.RuntimeFlavours, runtimes)
	}
	if !slices.Equal(spec.BuilderFlavours, builders) {
		t.Errorf("spec.BuilderFlavours = %q, the flavour table has %q", spec.BuilderFlavours, builders)
	}
	if spec.DebugSuffix != rootfs.DebugSuffix {
		t.Errorf("spec.DebugSuffix = %q, rootfs.DebugSuffix = %q", spec.DebugSuffix, rootfs.DebugSuffix)
	}
}
