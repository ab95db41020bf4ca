package rootfs

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/distill-dev/distill/internal/toolchain"
)

// assemblyVersion changes whenever the assembly itself changes what it writes
// for the same packages (file policy, generated files, config), so that cached
// images from an older distill are not reused.
const assemblyVersion = "rootfs/3"

// cacheKey identifies an image by everything that determines its bytes: the
// assembly version, the flavour recipe, platform, epoch, each layer's package
// SHA256s and the toolchain zip hash.
func cacheKey(f Flavour, debug bool, platform string, epoch time.Time, plans []layerPlan, tc *toolchain.Go) string {
	type layer struct {
		Name     string
		Packages [][2]string
	}
	k := struct {
		Assembly  string
		Flavour   Flavour
		Debug     bool
		Platform  string
		Epoch     int64
		Layers    []layer
		Toolchain string
	}{Assembly: assemblyVersion, Flavour: f, Debug: debug, Platform: platform, Epoch: epoch.Unix()}
	for _, p := range plans {
		l := layer{Name: p.name}
		for _, pkg := range p.packages {
			l.Packages = append(l.Packages, [2]string{pkg.Name, pkg.SHA256})
		}
		k.Layers = append(k.Layers, l)
	}
	if tc != nil {
		k.Toolchain = tc.ModVersion + " " + tc.Sum
	}
	dt, _ := json.Marshal(k) // plain data: cannot fail
	sum := sha256.Sum256(dt)
	return "sha256:" + hex.EncodeToString(sum[:])
}
