package engine

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"
)

// alive reports whether process pid exists and is not a zombie.
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		if procfs() {
			return false
		}
		// No procfs: fall back to signal 0 (a zombie then counts as alive).
		err := syscall.Kill(pid, 0)
		return err == nil || errors.Is(err, syscall.EPERM)
	}
	// "pid (comm) S …": the state follows the last ')'.
	i := bytes.LastIndexByte(b, ')')
	return i < 0 || i+2 >= len(b) || b[i+2] != 'Z'
}

func procfs() bool {
	_, err := os.Stat("/proc/self/stat")
	return err == nil
}

// hasArg reports whether process pid was started with arg among its arguments.
// Without procfs it cannot tell, and trusts the pid.
func hasArg(pid int, arg string) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return !procfs()
	}
	for _, a := range bytes.Split(b, []byte{0}) {
		if string(a) == arg {
			return true
		}
	}
	return false
}

// terminate sends SIGTERM to pid and waits up to grace for it to go, then SIGKILLs it and
// waits a little more. exited, when not nil, is closed when this process has reaped it
// (after which the pid may belong to another process).
func terminate(pid int, grace time.Duration, exited <-chan struct{}) error {
	if exited != nil {
		select {
		case <-exited:
			return nil
		default:
		}
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		if errors.Is(err, syscall.ESRCH) {
			return nil
		}
		return err
	}
	if waitGone(pid, grace, exited) {
		return nil
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	if waitGone(pid, 5*time.Second, exited) {
		return nil
	}
	return errors.New("buildkitd (pid " + strconv.Itoa(pid) + ") survived SIGKILL")
}

func waitGone(pid int, d time.Duration, exited <-chan struct{}) bool {
	deadline := time.Now().Add(d)
	for {
		if exited != nil {
			select {
			case <-exited:
				return true
			default:
			}
		} else if !alive(pid) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// startDaemon starts a daemon in its own process group, so a Ctrl-C meant for distill
// does not reach it: Close stops it in order. Its output goes to log.
func startDaemon(path string, args []string, log *os.File) (*exec.Cmd, error) {
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd, cmd.Start()
}
