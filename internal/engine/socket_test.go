package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// helperEnv makes the test binary connect to the address it names and print the error,
// instead of running tests: TestSocketPermission runs it as another user.
const helperEnv = "DISTILL_ENGINE_TEST_CONNECT"

func TestMain(m *testing.M) {
	if addr := os.Getenv(helperEnv); addr != "" {
		_, err := Start(context.Background(), WithAddr(addr), WithLog(io.Discard))
		var pe *SocketPermissionError
		fmt.Printf("%v %v", errors.As(err, &pe), err)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestSocketPermission(t *testing.T) {
	// A private directory, as the state directory of a local buildkitd is.
	private := filepath.Join(t.TempDir(), "private")
	if err := os.Mkdir(private, 0o700); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(private, "buildkitd.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()

	var got string
	if os.Geteuid() != 0 {
		if err := os.Chmod(private, 0); err != nil {
			t.Fatal(err)
		}
		defer os.Chmod(private, 0o700)
		_, err := Start(context.Background(), WithAddr("unix://"+sock), WithLog(io.Discard))
		var pe *SocketPermissionError
		got = fmt.Sprintf("%v %v", errors.As(err, &pe), err)
	} else {
		got = connectAsNobody(t, "unix://"+sock)
	}
	t.Log(got)
	if !strings.HasPrefix(got, "true no permission to connect to the BuildKit socket "+sock) ||
		!strings.Contains(got, "permission denied") || !strings.Contains(got, "needs read and write access") {
		t.Errorf("got %q, want a SocketPermissionError naming %s and saying what access is needed", got, sock)
	}
}

// connectAsNobody runs this test binary as user nobody, connecting to addr.
func connectAsNobody(t *testing.T, addr string) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "engine-test-bin")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	bin := filepath.Join(dir, "engine.test")
	b, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), helperEnv+"="+addr, "HOME=/")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("helper as nobody: %v\n%s", err, out)
	}
	return string(out)
}
