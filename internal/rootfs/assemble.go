package rootfs

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/distill-dev/distill/internal/debian"
	"github.com/distill-dev/distill/internal/toolchain"
)

// RuntimePath is PATH in every image; :debug variants put /busybox first.
const RuntimePath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// assemble builds each planned layer from the fetched packages (files maps a
// .deb SHA256 to its path), adds the toolchain layer and writes the config.
func (a *Assembler) assemble(f Flavour, debug bool, platform string, plans []layerPlan, files map[string]string, tc *toolchain.Go) (v1.Image, error) {
	present := map[string]byte{} // paths of earlier layers and their tar type, for alternatives
	var adds []mutate.Addendum
	for _, p := range plans {
		t, err := a.packageTree(p, files, present)
		if err != nil {
			return nil, err
		}
		for path, e := range t.entries {
			present[path] = e.typ
		}
		l, err := t.layer(a.epoch, compressionLevel(p.kind))
		if err != nil {
			return nil, fmt.Errorf("layer %s: %w", p.name, err)
		}
		adds = append(adds, a.addendum(l, fmt.Sprintf("distill %s layer: %d Debian %s packages", p.name, len(p.packages), Codename)))
	}
	if tc != nil {
		t, err := goToolchainTree(tc)
		if err != nil {
			return nil, err
		}
		l, err := t.layer(a.epoch, compressionLevel(Builder))
		if err != nil {
			return nil, fmt.Errorf("toolchain layer: %w", err)
		}
		adds = append(adds, a.addendum(l, fmt.Sprintf("distill go layer: %s@%s %s", toolchain.GoModule, tc.ModVersion, tc.Sum)))
	}

	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err := mutate.Append(img, adds...)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Variant = platformParts(platform)
	cf.Created = v1.Time{Time: a.epoch}
	cf.Config = imageConfig(f, debug, tc)
	return mutate.ConfigFile(img, cf)
}

func (a *Assembler) addendum(l v1.Layer, createdBy string) mutate.Addendum {
	return mutate.Addendum{
		Layer:     l,
		MediaType: types.OCILayer,
		History:   v1.History{Created: v1.Time{Time: a.epoch}, CreatedBy: createdBy},
	}
}

// packageTree unpacks one layer's packages and generates what their maintainer
// scripts would have: status.d records, alternatives, the CA bundle, accounts.
func (a *Assembler) packageTree(p layerPlan, files map[string]string, present map[string]byte) (*tree, error) {
	t := newTree()
	controls := map[string][]byte{}
	var alts []alternative
	pkgs := slices.Clone(p.packages)
	slices.SortFunc(pkgs, func(x, y *debian.Package) int { return strings.Compare(x.Name, y.Name) })
	for _, pkg := range pkgs {
		path, ok := files[pkg.SHA256]
		if !ok {
			return nil, fmt.Errorf("package %s was not fetched", pkg)
		}
		control, postinst, err := unpack(t, pkg.Name, path)
		if err != nil {
			return nil, err
		}
		controls[pkg.Name] = control
		alts = append(alts, parseAlternatives(postinst)...)
	}
	for _, name := range slices.Sorted(maps.Keys(controls)) {
		t.file(statusDir+"/"+name, 0o644, statusRecord(controls[name]))
		t.file(statusDir+"/"+name+".md5sums", 0o644, t.md5sums(name))
	}
	t.applyAlternatives(alts, func(path string) (byte, bool) {
		if e, ok := t.get(path); ok {
			return e.typ, true
		}
		typ, ok := present[path]
		return typ, ok
	})
	if bundle := t.caBundle(); bundle != nil {
		t.file(CABundle, 0o644, bundle)
	}
	if p.debug {
		bb, ok := t.get("usr/bin/busybox")
		if !ok {
			return nil, errors.New("debug layer: busybox-static did not install usr/bin/busybox")
		}
		applets, err := busyboxApplets(bb.data)
		if err != nil {
			return nil, fmt.Errorf("debug layer: %w", err)
		}
		t.addBusyboxLinks(applets)
	}
	if p.first {
		if err := t.baseSystem(p.kind); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// unpack adds a .deb's files to the tree and returns its control file and postinst.
func unpack(t *tree, name, path string) (control, postinst []byte, err error) {
	d, err := debian.OpenDeb(path)
	if err != nil {
		return nil, nil, fmt.Errorf("package %s: %w", name, err)
	}
	defer d.Close()
	if _, err := t.addPackage(name, d); err != nil {
		return nil, nil, err
	}
	if control, err = d.ControlFile("control"); err != nil {
		return nil, nil, fmt.Errorf("package %s: %w", name, err)
	}
	postinst, err = d.ControlFile("postinst")
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("package %s: %w", name, err)
	}
	return control, postinst, nil
}

// baseSystem adds what the first layer of every image carries: the merged-/usr
// links, standard directories and the account databases.
func (t *tree) baseSystem(k Kind) error {
	for _, d := range []string{"bin", "sbin", "lib", "lib64"} {
		t.dir("usr/"+d, 0o755, 0, 0)
		t.symlink(d, "usr/"+d)
	}
	t.dir("tmp", 0o1777, 0, 0)
	t.dir("var/tmp", 0o1777, 0, 0)
	t.dir("root", 0o700, 0, 0)
	t.dir("home/nonroot", 0o700, Nonroot, Nonroot)
	if _, ok := t.get("etc/nsswitch.conf"); !ok {
		t.file("etc/nsswitch.conf", 0o644, []byte(nsswitch))
	}
	switch k {
	case Runtime:
		t.file("etc/passwd", 0o644, []byte(runtimePasswd))
		t.file("etc/group", 0o644, []byte(runtimeGroup))
	case Builder:
		pm, _ := t.get("usr/share/base-passwd/passwd.master")
		gm, _ := t.get("usr/share/base-passwd/group.master")
		var pmd, gmd []byte
		if pm != nil && gm != nil {
			pmd, gmd = pm.data, gm.data
		}
		passwd, group, err := builderAccounts(pmd, gmd)
		if err != nil {
			return err
		}
		t.file("etc/passwd", 0o644, passwd)
		t.file("etc/group", 0o644, group)
	}
	return nil
}

// imageConfig is the runtime configuration of a flavour image.
func imageConfig(f Flavour, debug bool, tc *toolchain.Go) v1.Config {
	name := f.Name
	if debug {
		name += DebugSuffix
	}
	c := v1.Config{
		Env: []string{"PATH=" + RuntimePath, "SSL_CERT_FILE=/" + CABundle},
		Labels: map[string]string{
			"org.opencontainers.image.title":       "distill/" + name,
			"org.opencontainers.image.description": f.Description,
			"dev.distill.flavour":                  name,
			"dev.distill.debian":                   Codename,
		},
	}
	switch f.Kind {
	case Runtime:
		c.User = fmt.Sprintf("%d:%d", Nonroot, Nonroot)
		c.WorkingDir = "/home/nonroot"
		if debug {
			c.Env[0] = "PATH=/" + debugDir + ":" + RuntimePath
			c.Entrypoint = []string{"/" + debugDir + "/sh"}
		}
	case Builder:
		c.WorkingDir = "/"
		if tc != nil {
			c.Env[0] = "PATH=/" + goPath + "/bin:/" + GoRoot + "/bin:" + RuntimePath
			c.Env = append(c.Env, "GOPATH=/"+goPath, "GOTOOLCHAIN=local", "GOLANG_VERSION="+strings.TrimPrefix(tc.Version, "go"))
			c.WorkingDir = "/" + goPath
			c.Labels["dev.distill.go.version"] = tc.Version
		}
	}
	return c
}

func platformParts(platform string) (os, arch, variant string) {
	parts := strings.SplitN(platform, "/", 3)
	os, arch = parts[0], parts[1]
	if len(parts) == 3 {
		variant = parts[2]
	} else if arch == "arm64" {
		variant = "v8"
	}
	return os, arch, variant
}
