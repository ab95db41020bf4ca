package runner

import (
	"context"
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/buildkit/client/llb"

	"github.com/distill-dev/distill/internal/baseimage"
	"github.com/distill-dev/distill/internal/llbgen"
	"github.com/distill-dev/distill/internal/rootfs"
	"github.com/distill-dev/distill/internal/vulndb"
)

// vulnDBContext is the name of the local context that carries the
// vulnerability database into scan containers.
const vulnDBContext = "distill-vulndb"

// scannerInfo says what scanned: recorded in every report.
type scannerInfo struct {
	Version string // trivy's module version
	Image   string // the scanner image's digest
}

// scannerImage assembles distill/trivy (see scannerV1) and returns its state.
func scannerImage(ctx context.Context, svc *baseimage.Service, platform string) (llb.State, scannerInfo, error) {
	img, info, err := scannerV1(ctx, svc, platform)
	if err != nil {
		return llb.State{}, scannerInfo{}, err
	}
	digest, err := img.Digest()
	if err != nil {
		return llb.State{}, scannerInfo{}, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return llb.State{}, scannerInfo{}, err
	}
	return llbgen.FromStore("distill/trivy", digest, cf), info, nil
}

// scannerV1 assembles distill/trivy: the static flavour with the pinned
// trivy binary (built from tools/trivy by make setup) at
// /usr/local/bin/trivy, cached in the image store by the binary's hash.
func scannerV1(ctx context.Context, svc *baseimage.Service, platform string) (v1.Image, scannerInfo, error) {
	trivy, err := vulndb.FindTrivy()
	if err != nil {
		return nil, scannerInfo{}, err
	}
	sum, err := fileSHA256(trivy)
	if err != nil {
		return nil, scannerInfo{}, err
	}
	version := "unknown"
	if bi, err := buildinfo.ReadFile(trivy); err == nil {
		for _, d := range bi.Deps {
			if d.Path == "github.com/aquasecurity/trivy" {
				version = d.Version
			}
		}
		if bi.Main.Path == "github.com/aquasecurity/trivy" && bi.Main.Version != "" {
			version = bi.Main.Version
		}
	}
	base, err := svc.Build(ctx, rootfs.Request{Flavour: "static", Platform: platform})
	if err != nil {
		return nil, scannerInfo{}, fmt.Errorf("scanner base: %w", err)
	}
	baseDigest, err := base.Image.Digest()
	if err != nil {
		return nil, scannerInfo{}, err
	}
	key := "scanner:trivy:" + sum + ":" + baseDigest.String()
	img, ok, err := svc.Store.Get(key)
	if err != nil {
		return nil, scannerInfo{}, err
	}
	if !ok {
		img, err = rootfs.AddFiles(base.Image, []rootfs.File{{Path: llbgen.ScannerBinary, Mode: 0o755, From: trivy}},
			time.Unix(0, 0), "distill: trivy "+version, func(c *v1.Config) {
				c.Entrypoint = []string{llbgen.ScannerBinary}
				c.User = "0:0"
				if c.Labels == nil {
					c.Labels = map[string]string{}
				}
				c.Labels["dev.distill.scanner"] = "trivy " + version
			})
		if err != nil {
			return nil, scannerInfo{}, err
		}
		if _, err := svc.Store.Put(img, key, "distill/trivy"); err != nil {
			return nil, scannerInfo{}, err
		}
	}
	digest, err := img.Digest()
	if err != nil {
		return nil, scannerInfo{}, err
	}
	return img, scannerInfo{Version: version, Image: "distill/trivy@" + digest.String()}, nil
}

// vulnDB opens the vulnerability database scans mount, and its state: a
// local context holding just the two files trivy reads.
func vulnDB(dir string) (*vulndb.DB, llb.State, error) {
	if dir == "" {
		var err error
		if dir, err = vulndb.DefaultDir(); err != nil {
			return nil, llb.State{}, err
		}
	}
	db, err := vulndb.Open(dir)
	if err != nil {
		return nil, llb.State{}, err
	}
	st := llb.Local(vulnDBContext,
		llb.FollowPaths([]string{vulndb.DBFile, vulndb.MetadataFile}),
		llb.SharedKeyHint(vulnDBContext),
		llb.LocalUniqueID("distill:"+vulnDBContext),
		llb.WithCustomName("[source] vulnerability database"))
	return db, st, nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
