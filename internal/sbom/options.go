package sbom

import (
	"errors"
	"runtime/debug"
	"time"
)

// Installed is distill's record of a Debian package it put into an image. It
// has the fields of rootfs.Installed, so a rootfs.Result's packages convert
// with sbom.Installed(p).
type Installed struct {
	Name, Version, Architecture, Source, SourceVersion string
	SHA256                                             string // of the .deb, hex
	Layer                                              string // the image layer that installed it, e.g. "static"
}

// id is the name=version form used in errors and for matching with an SBOM.
func (p Installed) id() string { return p.Name + "=" + p.Version }

// Options describe the image an SBOM is for and what distill knows about it.
type Options struct {
	// Epoch is SOURCE_DATE_EPOCH: the only time written into an SBOM.
	Epoch time.Time
	// Name is the image name, e.g. "go-app". Required.
	Name string
	// Stage is the pipeline stage scanned: "runtime" or "build".
	Stage string
	// Digest is the image manifest digest ("sha256:…") when known.
	Digest string
	// Installed is distill's record of the Debian packages in the image; it
	// adds .deb hashes and layers to the matching SBOM packages.
	Installed []Installed
	// ToolVersion is distill's version for the SBOM's tools list; empty means
	// the version in the running binary's build information, else "devel".
	ToolVersion string
}

// ErrNoName is returned when Options.Name is empty.
var ErrNoName = errors.New("sbom: Options.Name (the image name) is required")

// toolName is how distill names itself in SBOM tool lists and creators.
const toolName = "distill"

func (o Options) toolVersion() string {
	if o.ToolVersion != "" {
		return o.ToolVersion
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

func (o Options) timestamp() string { return o.Epoch.UTC().Format(time.RFC3339) }

// installedIndex finds distill's record for a Debian package by name, version
// and architecture.
type installedIndex map[[3]string]Installed

func indexInstalled(pkgs []Installed) installedIndex {
	idx := make(installedIndex, len(pkgs))
	for _, p := range pkgs {
		idx[[3]string{p.Name, p.Version, p.Architecture}] = p
	}
	return idx
}

func (idx installedIndex) lookup(d debPackage) (Installed, bool) {
	p, ok := idx[[3]string{d.Name, d.Version, d.Arch}]
	return p, ok
}
