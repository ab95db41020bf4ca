package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/distill-dev/distill/internal/sign"
)

func TestKeygen(t *testing.T) {
	dir := t.TempDir()
	prefix := filepath.Join(dir, "release")
	t.Setenv("DISTILL_SIGN_PASSWORD", "")
	os.Unsetenv("DISTILL_SIGN_PASSWORD")
	t.Setenv("COSIGN_PASSWORD", "pw from the environment")
	out, err := run(t, "sign", "keygen", "--output-key-prefix", prefix)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	priv, err := os.ReadFile(prefix + ".key")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(priv), "ENCRYPTED SIGSTORE PRIVATE KEY") || strings.Contains(string(priv), "pw from the environment") {
		t.Errorf("the private key is not a cosign encrypted key:\n%s", priv)
	}
	if fi, _ := os.Stat(prefix + ".key"); fi.Mode().Perm() != 0o600 {
		t.Errorf("private key mode %v, want 0600", fi.Mode().Perm())
	}
	ctx := context.Background()
	if _, err := sign.LoadSigner(ctx, prefix+".key", func() ([]byte, error) { return []byte("pw from the environment"), nil }); err != nil {
		t.Errorf("the key does not open with its password: %v", err)
	}
	if _, err := sign.LoadSigner(ctx, prefix+".key", func() ([]byte, error) { return []byte("wrong"), nil }); err == nil {
		t.Error("the key opens with a wrong password")
	}
	if _, err := sign.LoadVerifier(ctx, prefix+".pub"); err != nil {
		t.Errorf("public key: %v", err)
	}

	// Never overwritten by accident.
	if _, err := run(t, "sign", "keygen", "--output-key-prefix", prefix); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Errorf("keygen over existing keys: %v", err)
	}
}

func TestKeygenPasswordFromStdin(t *testing.T) {
	t.Setenv("COSIGN_PASSWORD", "not this one")
	prefix := filepath.Join(t.TempDir(), "k")
	cmd := newRootCmd()
	cmd.SetArgs([]string{"sign", "keygen", "--output-key-prefix", prefix, "--password-stdin"})
	cmd.SetIn(strings.NewReader("from stdin\n"))
	cmd.SetOut(&strings.Builder{})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if _, err := sign.LoadSigner(context.Background(), prefix+".key", func() ([]byte, error) { return []byte("from stdin"), nil }); err != nil {
		t.Errorf("the key does not open with the password read from stdin: %v", err)
	}
}

// Signing flags are checked before anything is built; a push is never
// unsigned by default.
func TestBuildSigningFlags(t *testing.T) {
	t.Setenv("DISTILL_SIGN_KEY", "")
	app := filepath.Join("..", "..", "examples", "go-app")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--push", "127.0.0.1:1/app:v1"}, "--allow-unsigned"},
		{[]string{"--push", "127.0.0.1:1/app:v1", "--sign"}, "--sign needs --key"},
		{[]string{"--push", "127.0.0.1:1/app:v1", "--keyless", "--no-tlog"}, "--keyless needs the transparency log"},
		{[]string{"--push", "127.0.0.1:1/app:v1", "--sign", "--allow-unsigned"}, "contradict"},
		{[]string{"--referrers"}, "add --sign"},
		{[]string{"--sign", "--key", "cosign.key"}, "add --push"},
		{[]string{"--push", "127.0.0.1:1/app:v1", "--sign", "--key", "env://DISTILL_TEST_NO_SUCH_VAR"}, "DISTILL_TEST_NO_SUCH_VAR is not set"},
	} {
		out, err := run(t, append([]string{"build", app, "--progress", "quiet"}, c.args...)...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("build %v: %v, want an error with %q\n%s", c.args, err, c.want, out)
		}
	}
}

func TestVerifyUsageErrorsExit2(t *testing.T) {
	for _, args := range [][]string{
		{"verify", "127.0.0.1:1/app:v1"}, // no key, no identity
		{"verify", "127.0.0.1:1/app:v1", "--key", "cosign.pub", "--format", "yaml"},
		{"verify", "127.0.0.1:1/app:v1", "--key", filepath.Join(t.TempDir(), "missing.pub")},
		{"verify", "127.0.0.1:1/app:v1", "--certificate-identity", "me@example.com", "--max-age", "soon"},
	} {
		_, err := run(t, args...)
		var ee *exitError
		if !errors.As(err, &ee) || ee.code != 2 {
			t.Errorf("%v: %v, want exit code 2", args, err)
		}
	}
}

func TestParseAge(t *testing.T) {
	for in, want := range map[string]time.Duration{"7d": 7 * 24 * time.Hour, "36h": 36 * time.Hour, "0d": 0} {
		if got, err := parseAge(in); err != nil || got != want {
			t.Errorf("parseAge(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1h", "7days", "d"} {
		if _, err := parseAge(in); err == nil {
			t.Errorf("parseAge(%q) accepted", in)
		}
	}
}
