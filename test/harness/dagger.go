package harness

import (
	"context"
	"errors"
	"os"
	"testing"

	"dagger.io/dagger"
)

// DaggerCLI is the dagger CLI of the test engine (test/services.sh exports
// DISTILL_DAGGER_CLI with the engine's address in
// _EXPERIMENTAL_DAGGER_RUNNER_HOST).
func DaggerCLI(t testing.TB) string {
	t.Helper()
	Integration(t)
	cli := os.Getenv("DISTILL_DAGGER_CLI")
	if cli == "" || os.Getenv("_EXPERIMENTAL_DAGGER_RUNNER_HOST") == "" {
		Require(t, "Dagger engine", errors.New("DISTILL_DAGGER_CLI or _EXPERIMENTAL_DAGGER_RUNNER_HOST not set"))
	}
	_, err := os.Stat(cli)
	Require(t, "dagger CLI at DISTILL_DAGGER_CLI", err)
	return cli
}

// Dagger connects to the test engine in client mode; the connection closes
// when the test ends.
func Dagger(t testing.TB) *dagger.Client {
	t.Helper()
	DaggerCLI(t)
	c, err := dagger.Connect(context.Background(), dagger.WithLogOutput(LogWriter(t)))
	Require(t, "Dagger engine at _EXPERIMENTAL_DAGGER_RUNNER_HOST", err)
	t.Cleanup(func() { c.Close() })
	return c
}
