package debian

import (
	"errors"
	"strings"
	"testing"
)

func TestResolveMirrors(t *testing.T) {
	sources := []SourceEntry{
		{Types: []string{"deb"}, URIs: []string{"cdrom:[Debian]/"}, Suites: []string{"bookworm"}},
		{Types: []string{"deb"}, URIs: []string{"http://apt.example/debian/"}, Suites: []string{"bookworm", "bookworm-updates"},
			SignedBy: "/usr/share/keyrings/debian-archive-keyring.gpg"},
		{Types: []string{"deb"}, URIs: []string{"http://apt.example/sec"}, Suites: []string{"bookworm-security"}},
	}
	env := func(m map[string]string) func(string) string {
		return func(k string) string { return m[k] }
	}
	for _, tc := range []struct {
		name          string
		flag, flagSec string
		env           map[string]string
		sources       []SourceEntry
		want          Mirrors
		wantErr       string
	}{
		{
			name:    "apt sources",
			sources: sources,
			want:    Mirrors{Debian: "http://apt.example/debian", Security: "http://apt.example/sec", Keyring: "/usr/share/keyrings/debian-archive-keyring.gpg"},
		},
		{
			name:    "env beats sources, security derived on the same host",
			env:     map[string]string{EnvMirror: "https://env.example/debian/"},
			sources: sources,
			want:    Mirrors{Debian: "https://env.example/debian", Security: "https://env.example/debian-security"},
		},
		{
			name:    "flag beats env",
			flag:    "http://flag.example/debian",
			env:     map[string]string{EnvMirror: "https://env.example/debian"},
			sources: sources,
			want:    Mirrors{Debian: "http://flag.example/debian", Security: "http://flag.example/debian-security"},
		},
		{
			name: "explicit security: flag beats env",
			flag: "http://flag.example/debian", flagSec: "http://flag.example/sec///",
			env:  map[string]string{EnvSecurityMirror: "http://env.example/sec"},
			want: Mirrors{Debian: "http://flag.example/debian", Security: "http://flag.example/sec"},
		},
		{
			name: "security from env",
			env:  map[string]string{EnvMirror: "http://env.example/debian", EnvSecurityMirror: "http://env.example/sec/"},
			want: Mirrors{Debian: "http://env.example/debian", Security: "http://env.example/sec"},
		},
		{
			name: "main from sources, no security source: derived",
			sources: []SourceEntry{{Types: []string{"deb"}, URIs: []string{"http://apt.example/debian"},
				Suites: []string{"bookworm"}, SignedBy: "fingerprint-not-a-path"}},
			want: Mirrors{Debian: "http://apt.example/debian", Security: "http://apt.example/debian-security"},
		},
		{
			name: "flag not ending in /debian: security from sources",
			flag: "http://flag.example/mirror",
			sources: []SourceEntry{{Types: []string{"deb"}, URIs: []string{"http://apt.example/sec"},
				Suites: []string{"bookworm-security"}}},
			want: Mirrors{Debian: "http://flag.example/mirror", Security: "http://apt.example/sec"},
		},
		{
			name:    "nothing at all",
			wantErr: "no Debian mirror for \"bookworm\": pass --debian-mirror or set DISTILL_DEBIAN_MIRROR (no apt source carries suite \"bookworm\")",
		},
		{
			name:    "sources for another release only",
			sources: []SourceEntry{{Types: []string{"deb"}, URIs: []string{"http://apt.example/debian"}, Suites: []string{"trixie"}}},
			wantErr: "no Debian mirror for \"bookworm\"",
		},
		{
			name:    "security not derivable",
			flag:    "http://flag.example/mirror",
			wantErr: "pass --debian-security-mirror or set DISTILL_DEBIAN_SECURITY_MIRROR",
		},
		{
			name:    "bad URL",
			env:     map[string]string{EnvMirror: "ftp://old.example/debian"},
			wantErr: `DISTILL_DEBIAN_MIRROR: "ftp://old.example/debian" is not an http or https URL`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ResolveMirrors("bookworm", tc.flag, tc.flagSec, env(tc.env), tc.sources)
			if tc.wantErr != "" {
				var me *MirrorError
				if !errors.As(err, &me) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want *MirrorError containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestResolveMirrorsNilGetenv(t *testing.T) {
	m, err := ResolveMirrors("bookworm", "http://x.example/debian", "", nil, nil)
	if err != nil || m.Security != "http://x.example/debian-security" {
		t.Errorf("got %+v, %v", m, err)
	}
}
