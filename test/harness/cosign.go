package harness

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Tool finds a pinned tool's binary: $DISTILL_<NAME> (upper case), then the
// tools directory `make tools` and `make test-tools` fill ($DISTILL_TOOLS/bin, else the user
// cache's distill/tools/bin), then PATH. A missing tool skips t, or fails it
// in CI (see [Require]).
func Tool(t testing.TB, name string) string {
	t.Helper()
	if p := os.Getenv("DISTILL_" + upper(name)); p != "" {
		return p
	}
	var dirs []string
	if d := os.Getenv("DISTILL_TOOLS"); d != "" {
		dirs = append(dirs, filepath.Join(d, "bin"))
	}
	if d, err := os.UserCacheDir(); err == nil {
		dirs = append(dirs, filepath.Join(d, "distill", "tools", "bin"))
	}
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	p, err := exec.LookPath(name)
	Require(t, name, err)
	return p
}

func upper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// MinimalTrustedRoot is a sigstore trusted root that trusts nothing. Passed
// as --trusted-root it stops cosign's TUF lookup, so key-based verification
// with --insecure-ignore-tlog contacts no service.
const MinimalTrustedRoot = `{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}`

// Cosign runs the pinned cosign CLI offline: its HOME and TUF root are
// private to the test, verification is key-based with a trusted root that
// trusts nothing and no transparency log.
type Cosign struct {
	Bin, Home, TrustedRoot string
}

// NewCosign finds cosign (see [Tool]) and prepares its private home.
func NewCosign(t testing.TB) *Cosign {
	t.Helper()
	c := &Cosign{Bin: Tool(t, "cosign"), Home: t.TempDir()}
	c.TrustedRoot = filepath.Join(c.Home, "trusted_root.json")
	if err := os.WriteFile(c.TrustedRoot, []byte(MinimalTrustedRoot), 0o644); err != nil {
		t.Fatal(err)
	}
	return c
}

// Run runs cosign with args and returns its exit code and output; password,
// if not empty, is COSIGN_PASSWORD in the child's environment only.
func (c *Cosign) Run(t testing.TB, password string, args ...string) (rc int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.Bin, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + c.Home, "TUF_ROOT=" + filepath.Join(c.Home, "tuf")}
	if password != "" {
		cmd.Env = append(cmd.Env, "COSIGN_PASSWORD="+password)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, out.String(), errb.String()
	case errors.As(err, &ee):
		return ee.ExitCode(), out.String(), errb.String()
	}
	t.Fatalf("cosign %v: %v", args, err)
	return -1, "", ""
}

// Verify runs cosign verify with the public key pub.
func (c *Cosign) Verify(t testing.TB, pub, ref string, referrers bool) (int, string, string) {
	t.Helper()
	return c.Run(t, "", c.verifyArgs("verify", pub, referrers, ref)...)
}

// VerifyAttestation runs cosign verify-attestation for the predicate type typ.
func (c *Cosign) VerifyAttestation(t testing.TB, pub, ref, typ string, referrers bool) (int, string, string) {
	t.Helper()
	return c.Run(t, "", c.verifyArgs("verify-attestation", pub, referrers, "--type", typ, ref)...)
}

func (c *Cosign) verifyArgs(cmd, pub string, referrers bool, rest ...string) []string {
	args := []string{cmd, "--key", pub, "--insecure-ignore-tlog", "--trusted-root", c.TrustedRoot}
	if referrers {
		args = append(args, "--experimental-oci11")
	}
	return append(args, rest...)
}

// CosignRC fails t unless cosign exited with want.
func CosignRC(t testing.TB, want int, what string, rc int, stdout, stderr string) {
	t.Helper()
	if rc != want {
		t.Errorf("%s: cosign rc %d, want %d\nstdout: %s\nstderr: %s", what, rc, want, stdout, stderr)
	}
}
