package engine

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// stateDir is the directory of one local buildkitd; see the package doc for its files.
type stateDir string

func (d stateDir) path(name string) string { return filepath.Join(string(d), name) }
func (d stateDir) socket() string          { return d.path("buildkitd.sock") }
func (d stateDir) addr() string            { return "unix://" + d.socket() }
func (d stateDir) pidFile() string         { return d.path("buildkitd.pid") }
func (d stateDir) logFile() string         { return d.path("buildkitd.log") }
func (d stateDir) configFile() string      { return d.path("buildkitd.toml") }
func (d stateDir) root() string            { return d.path("root") }
func (d stateDir) lockFile() string        { return d.path("lock") }
func (d stateDir) usersFile() string       { return d.path("users") }
func (d stateDir) stopFile() string        { return d.path("stop-when-unused") }

// maxSocketPath is the longest unix socket path Linux accepts (sun_path is 108 bytes, NUL included).
const maxSocketPath = 107

// prepare creates the directory, private to this user: the socket inside accepts any
// client that can reach it, and the daemon runs as root.
func (d stateDir) prepare() error {
	if n := len(d.socket()); n > maxSocketPath {
		return fmt.Errorf("state directory %s is too long for a unix socket (%d bytes > %d): choose a shorter one", d, n, maxSocketPath)
	}
	if err := os.MkdirAll(string(d), 0o700); err != nil {
		return fmt.Errorf("creating the buildkitd state directory: %w", err)
	}
	if err := os.Chmod(string(d), 0o700); err != nil {
		return fmt.Errorf("making the buildkitd state directory private: %w", err)
	}
	return nil
}

// readPID returns the pid in the pid file, 0 when there is none.
func (d stateDir) readPID() (int, error) {
	b, err := os.ReadFile(d.pidFile())
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, nil // garbage: as good as no pid file
	}
	return pid, nil
}

// runningPID returns the pid of the buildkitd that serves this directory, 0 when none
// runs. A pid is believed only if that process is alive and was started with this
// directory's socket address, so a stale pid file never names an unrelated process.
func (d stateDir) runningPID() (int, error) {
	pid, err := d.readPID()
	if err != nil || pid == 0 {
		return 0, err
	}
	if !alive(pid) || !hasArg(pid, d.addr()) {
		return 0, nil
	}
	return pid, nil
}

// clean removes the files a stopped (or crashed) buildkitd leaves behind.
func (d stateDir) clean() error {
	return errors.Join(removeIfExists(d.pidFile()), removeIfExists(d.socket()), removeIfExists(d.stopFile()))
}

func removeIfExists(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// logTail returns the last n lines of the buildkitd log.
func (d stateDir) logTail(n int) []string {
	f, err := os.Open(d.logFile())
	if err != nil {
		return nil
	}
	defer f.Close()
	var lines []string
	s := bufio.NewScanner(f)
	s.Buffer(make([]byte, 64*1024), 1024*1024)
	for s.Scan() {
		lines = append(lines, s.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return lines
}
