package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/secrets/secretsprovider"
	"github.com/moby/buildkit/session/sshforward/sshprovider"

	"github.com/distill-dev/distill/internal/llbgen"
)

// Secret is a user secret for build steps: the content of File, or of the
// environment variable Env.
type Secret struct {
	ID, File, Env string
}

// ParseSecret parses a --secret value: id=ID[,src=FILE|,env=VAR]; without
// src or env, the environment variable named ID.
func ParseSecret(s string) (Secret, error) {
	var sec Secret
	for _, field := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(field, "=")
		if !ok {
			return Secret{}, fmt.Errorf("--secret %q: want id=ID[,src=FILE|env=VAR]", s)
		}
		switch k {
		case "id":
			sec.ID = v
		case "src", "source":
			sec.File = v
		case "env":
			sec.Env = v
		default:
			return Secret{}, fmt.Errorf("--secret %q: unknown key %q", s, k)
		}
	}
	if sec.ID == "" {
		return Secret{}, fmt.Errorf("--secret %q: id is required", s)
	}
	if sec.File != "" && sec.Env != "" {
		return Secret{}, fmt.Errorf("--secret %q: set src or env, not both", s)
	}
	if sec.File == "" && sec.Env == "" {
		sec.Env = sec.ID
	}
	return sec, nil
}

// secretsAttachable serves the user's secrets and distill's network settings
// (CA bundle, proxy and registry variables) to fetch steps.
func secretsAttachable(ctx context.Context, user []Secret, caBundle string) (session.Attachable, error) {
	m := map[string][]byte{}
	for _, s := range user {
		if s.File != "" {
			dt, err := os.ReadFile(s.File)
			if err != nil {
				return nil, fmt.Errorf("secret %s: %w", s.ID, err)
			}
			m[s.ID] = dt
			continue
		}
		v, ok := os.LookupEnv(s.Env)
		if !ok {
			return nil, fmt.Errorf("secret %s: environment variable %s is not set", s.ID, s.Env)
		}
		m[s.ID] = []byte(v)
	}
	if caBundle != "" {
		dt, err := os.ReadFile(caBundle)
		if err != nil {
			return nil, fmt.Errorf("CA bundle for fetch steps: %w (set --ca-bundle)", err)
		}
		m[llbgen.SecretCABundle] = dt
	}
	for name, value := range networkEnv(ctx) {
		m[llbgen.SecretEnvPrefix+name] = []byte(value)
	}
	return secretsprovider.FromMap(m), nil
}

// networkEnv collects the client's settings fetch steps receive: the
// environment, and for Go the go command's own configuration (go env), so
// a GOPROXY set with `go env -w` counts too.
func networkEnv(ctx context.Context) map[string]string {
	out := map[string]string{}
	for _, name := range llbgen.EnvNames() {
		if v := os.Getenv(name); v != "" {
			out[name] = v
		}
	}
	goVars := []string{"GOPROXY", "GOSUMDB", "GONOSUMDB", "GONOPROXY", "GOPRIVATE", "GOINSECURE"}
	cmd := exec.CommandContext(ctx, "go", append([]string{"env", "-json"}, goVars...)...)
	var buf bytes.Buffer
	cmd.Stdout = &buf
	if cmd.Run() == nil {
		var env map[string]string
		if json.Unmarshal(buf.Bytes(), &env) == nil {
			for k, v := range env {
				if v != "" {
					out[k] = v
				}
			}
		}
	}
	if _, ok := out["NPM_CONFIG_REGISTRY"]; !ok {
		cmd := exec.CommandContext(ctx, "npm", "config", "get", "registry")
		buf.Reset()
		cmd.Stdout = &buf
		if cmd.Run() == nil {
			if v := strings.TrimSpace(buf.String()); v != "" && v != "undefined" {
				out["NPM_CONFIG_REGISTRY"] = v
			}
		}
	}
	return out
}

// defaultCABundle is the CA bundle handed to fetch steps: $SSL_CERT_FILE,
// else Debian's bundle when present.
func defaultCABundle() string {
	if f := os.Getenv("SSL_CERT_FILE"); f != "" {
		return f
	}
	const debian = "/etc/ssl/certs/ca-certificates.crt"
	if _, err := os.Stat(debian); err == nil {
		return debian
	}
	return ""
}

// sshAttachable forwards SSH agents: "default" is $SSH_AUTH_SOCK, "id=path" another socket.
func sshAttachable(specs []string) (session.Attachable, error) {
	var confs []sshprovider.AgentConfig
	for _, s := range specs {
		id, path, _ := strings.Cut(s, "=")
		var paths []string
		if path != "" {
			paths = []string{path}
		}
		confs = append(confs, sshprovider.AgentConfig{ID: id, Paths: paths})
	}
	return sshprovider.NewSSHAgentProvider(confs)
}
