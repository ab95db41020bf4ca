// Package debian is distill's Debian archive client.
//
// It owns everything between an apt source and a verified .deb on disk:
//
//   - reading apt sources (one-line *.list and deb822 *.sources) and choosing
//     the main and security mirrors (flag, environment, apt sources);
//   - loading OpenPGP keyrings (the Debian archive keyring is embedded as the
//     fallback) and verifying clearsigned InRelease files;
//   - downloading binary Packages indexes, checking them against the signed
//     Release, and parsing them with pault.ag/go/debian's control parser;
//   - identifying an archive state from its verified releases alone
//     (IndexID), so that callers can keep what they derive from an index
//     without reading the index again;
//   - resolving the Depends/Pre-Depends closure of a set of packages;
//   - downloading .deb files into a content-addressed cache, checking size and
//     SHA-256, and reading their control and data members.
//
// All downloaded content is checked against a signature chain that starts at
// the keyring: InRelease signature → Release SHA256 list → Packages index →
// Filename/Size/SHA256 of each package. Nothing unverified is parsed or cached.
//
// The package must not assemble images, write layers, talk to BuildKit or a
// registry, or run maintainer scripts: it hands verified Packages and .deb
// readers to the stages that do. It holds no global mutable state; a Client
// carries its own HTTP client, cache directory, keyring and clock, and every
// list it returns is sorted so that outputs are reproducible.
package debian
