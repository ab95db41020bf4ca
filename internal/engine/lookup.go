package engine

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// findBuildkitd returns the buildkitd to start: $DISTILL_BUILDKITD, else buildkitd on
// PATH, else $DISTILL_TOOLS/bin/buildkitd, else <user cache dir>/distill/tools/bin/buildkitd
// (where "make tools" puts it).
func findBuildkitd() (string, error) {
	if p := os.Getenv("DISTILL_BUILDKITD"); p != "" {
		if err := executable(p); err != nil {
			return "", &BuildkitdNotFoundError{Looked: []string{"DISTILL_BUILDKITD=" + p + " (" + err.Error() + ")"}}
		}
		return p, nil
	}
	looked := []string{"PATH"}
	if p, err := exec.LookPath("buildkitd"); err == nil {
		return p, nil
	}
	var candidates []string
	if tools := os.Getenv("DISTILL_TOOLS"); tools != "" {
		candidates = append(candidates, filepath.Join(tools, "bin", "buildkitd"))
	}
	if cache, err := os.UserCacheDir(); err == nil {
		candidates = append(candidates, filepath.Join(cache, "distill", "tools", "bin", "buildkitd"))
	}
	for _, p := range candidates {
		looked = append(looked, p)
		if executable(p) == nil {
			return p, nil
		}
	}
	return "", &BuildkitdNotFoundError{Looked: looked}
}

// executable reports why path is not an executable regular file, or nil.
func executable(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("%s is not an executable file", path)
	}
	return nil
}

// checkCanStart reports what stops this process from starting a local buildkitd with
// the given binary: not root, buildkitd missing, runc missing.
func checkCanStart(o *options) (buildkitd string, err error) {
	if o.geteuid() != 0 {
		return "", &NeedRootError{}
	}
	buildkitd = o.buildkitd
	if buildkitd == "" {
		if buildkitd, err = findBuildkitd(); err != nil {
			return "", err
		}
	} else if err := executable(buildkitd); err != nil {
		return "", &BuildkitdNotFoundError{Looked: []string{buildkitd + " (" + err.Error() + ")"}}
	}
	if _, err := exec.LookPath("runc"); err != nil {
		return "", &RuncNotFoundError{}
	}
	return buildkitd, nil
}
