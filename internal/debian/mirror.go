package debian

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// Environment variables consulted by ResolveMirrors.
const (
	EnvMirror         = "DISTILL_DEBIAN_MIRROR"
	EnvSecurityMirror = "DISTILL_DEBIAN_SECURITY_MIRROR"
)

// Mirrors are the archive base URIs a Client downloads from.
type Mirrors struct {
	Debian   string // base URI of the main archive (holds dists/ and pool/)
	Security string // base URI of the security archive
	Keyring  string // keyring path from the apt source's Signed-By; "" for the embedded Debian keyring
}

// MirrorError reports that no usable mirror could be determined.
type MirrorError struct {
	Msg string
}

func (e *MirrorError) Error() string { return e.Msg }

// ResolveMirrors chooses the main and security mirrors for codename.
//
// The main mirror is, in order: flagMirror, $DISTILL_DEBIAN_MIRROR, the first
// apt source whose suites include codename. The security mirror is, in order:
// flagSecurity, $DISTILL_DEBIAN_SECURITY_MIRROR, then — when the main mirror
// came from apt sources — the apt source carrying "<codename>-security", then
// the main mirror with "-security" appended when its path ends in "/debian"
// (Debian's layout), then any apt source carrying "<codename>-security". A
// main mirror given explicitly thus keeps the security archive on the same
// host, which is what an internal or air-gapped mirror needs.
//
// Keyring is taken from the Signed-By of the apt source that supplied the
// main mirror when it names a file; otherwise it is "" (embedded keyring).
// Only http and https URIs are accepted. Trailing slashes are removed.
func ResolveMirrors(codename, flagMirror, flagSecurity string, getenv func(string) string, sources []SourceEntry) (Mirrors, error) {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	var m Mirrors
	fromSources := false
	var err error

	switch {
	case flagMirror != "":
		m.Debian, err = normaliseMirror("--debian-mirror", flagMirror)
	case getenv(EnvMirror) != "":
		m.Debian, err = normaliseMirror(EnvMirror, getenv(EnvMirror))
	default:
		if e, u, ok := sourceForSuite(sources, codename); ok {
			m.Debian = u
			fromSources = true
			if strings.HasPrefix(e.SignedBy, "/") {
				m.Keyring = e.SignedBy
			}
		}
	}
	if err != nil {
		return Mirrors{}, err
	}
	if m.Debian == "" {
		return Mirrors{}, &MirrorError{Msg: fmt.Sprintf(
			"no Debian mirror for %q: pass --debian-mirror or set %s (no apt source carries suite %q)",
			codename, EnvMirror, codename)}
	}

	secSuite := codename + "-security"
	switch {
	case flagSecurity != "":
		m.Security, err = normaliseMirror("--debian-security-mirror", flagSecurity)
	case getenv(EnvSecurityMirror) != "":
		m.Security, err = normaliseMirror(EnvSecurityMirror, getenv(EnvSecurityMirror))
	default:
		if _, u, ok := sourceForSuite(sources, secSuite); ok && fromSources {
			m.Security = u
		} else if d := deriveSecurity(m.Debian); d != "" {
			m.Security = d
		} else if ok {
			m.Security = u
		}
	}
	if err != nil {
		return Mirrors{}, err
	}
	if m.Security == "" {
		return Mirrors{}, &MirrorError{Msg: fmt.Sprintf(
			"no Debian security mirror for %q: the main mirror %s does not end in /debian; pass --debian-security-mirror or set %s",
			codename, m.Debian, EnvSecurityMirror)}
	}
	return m, nil
}

// sourceForSuite returns the first apt entry carrying suite with an http(s) URI.
func sourceForSuite(sources []SourceEntry, suite string) (SourceEntry, string, bool) {
	for _, e := range sources {
		if !e.HasType("deb") {
			continue
		}
		if !slices.Contains(e.Suites, suite) {
			continue
		}
		for _, u := range e.URIs {
			if n, err := normaliseMirror("", u); err == nil {
				return e, n, true
			}
		}
	}
	return SourceEntry{}, "", false
}

func deriveSecurity(debian string) string {
	u, err := url.Parse(debian)
	if err != nil || !strings.HasSuffix(u.Path, "/debian") {
		return ""
	}
	u.Path += "-security"
	return u.String()
}

func normaliseMirror(what, raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", &MirrorError{Msg: fmt.Sprintf("%s: %q is not an http or https URL", what, raw)}
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u.String(), nil
}
