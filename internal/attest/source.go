package attest

import (
	"fmt"
	"net/url"
	"path"
	"strings"

	slsa1 "github.com/in-toto/in-toto-golang/in_toto/slsa_provenance/v1"
)

// sourceDescriptor describes the source: for a Git checkout
// git+<remote>@<revision> with the commit as gitCommit digest, outside Git
// the project directory's file URL; nil when nothing is known.
func sourceDescriptor(s Source) (*slsa1.ResourceDescriptor, error) {
	if s.URI == "" && s.Revision == "" {
		return nil, nil
	}
	uri, err := sourceURI(s.URI)
	if err != nil {
		return nil, fmt.Errorf("source: %w", err)
	}
	rd := &slsa1.ResourceDescriptor{Name: "source", URI: uri}
	if s.Revision != "" {
		if rd.Digest, err = gitCommitSet(s.Revision); err != nil {
			return nil, fmt.Errorf("source: %w", err)
		}
		if uri != "" {
			rd.URI = "git+" + strings.TrimPrefix(uri, "git+") + "@" + s.Revision
		}
	}
	if s.Dirty {
		rd.Annotations = map[string]any{"dirty": true}
	}
	return rd, nil
}

// sourceURI is the URL of a Git remote or project directory, without user
// names, passwords, query or fragment (a CI checkout's remote can carry a
// token: https://ci-token:SECRET@host/org/app.git). scp-like remotes
// (user@host:path) become ssh://host/path, absolute paths file:///path.
func sourceURI(uri string) (string, error) {
	switch {
	case uri == "":
		return "", nil
	case strings.Contains(uri, "://"):
		u, err := url.Parse(uri)
		if err != nil {
			return "", fmt.Errorf("source URI: %w", stripURLError(err))
		}
		u.User, u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = nil, "", false, "", ""
		return u.String(), nil
	case path.IsAbs(uri):
		return (&url.URL{Scheme: "file", Path: path.Clean(uri)}).String(), nil
	}
	colon, slash := strings.IndexByte(uri, ':'), strings.IndexByte(uri, '/')
	if colon > 0 && (slash < 0 || colon < slash) {
		host, p := uri[:colon], uri[colon+1:]
		if at := strings.LastIndexByte(host, '@'); at >= 0 {
			host = host[at+1:]
		}
		return (&url.URL{Scheme: "ssh", Host: host, Path: "/" + strings.TrimPrefix(p, "/")}).String(), nil
	}
	return "", fmt.Errorf("source URI %q: want a Git remote or an absolute path", uri)
}

// stripURLError drops the URL from a url.Parse error: it may hold a password.
func stripURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err
	}
	return err
}
