package plan

// What a fetch step (go mod download, npm ci, pip install) gets from the
// client, on every backend: its network settings as secrets — never in a
// layer, a cache key or the provenance. Missing ones are skipped.
const (
	// SecretCABundle is the client's CA bundle, mounted over the builder's
	// CABundlePath, so TLS-inspecting proxies work.
	SecretCABundle = "distill.ca-bundle"
	// SecretEnvPrefix + NAME carries the client's value of environment NAME.
	SecretEnvPrefix = "distill.env."
	// CABundlePath is where Debian (and distill's builders) keep the CA bundle.
	CABundlePath = "/etc/ssl/certs/ca-certificates.crt"
)

// proxyEnv are passed to every fetch step.
var proxyEnv = []string{"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy"}

// FetchEnv lists, per fetch kind, the client environment variables a fetch
// step receives (besides the proxies).
var FetchEnv = map[Fetch][]string{
	FetchGo:  {"GOPROXY", "GOSUMDB", "GONOSUMDB", "GONOPROXY", "GOPRIVATE", "GOINSECURE"},
	FetchNPM: {"NPM_CONFIG_REGISTRY"},
	FetchPip: {"PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_TRUSTED_HOST"},
}

// FetchEnvDefaults point tools that do not read the system bundle at it.
var FetchEnvDefaults = map[Fetch][][2]string{
	FetchNPM: {{"NODE_EXTRA_CA_CERTS", CABundlePath}},
	FetchPip: {{"PIP_CERT", CABundlePath}},
}

// FetchEnvOf lists the client environment variables a fetch step of kind
// receives: the proxies and the kind's own.
func FetchEnvOf(kind Fetch) []string {
	if kind == FetchNone {
		return nil
	}
	return append(append([]string(nil), proxyEnv...), FetchEnv[kind]...)
}

// FetchEnvNames returns every client environment variable a fetch step may
// receive, for the client to offer as secrets.
func FetchEnvNames() []string {
	names := append([]string(nil), proxyEnv...)
	for _, kind := range []Fetch{FetchGo, FetchNPM, FetchPip} {
		names = append(names, FetchEnv[kind]...)
	}
	return names
}
