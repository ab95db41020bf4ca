// Package debiantest builds Debian archive fixtures for tests: OpenPGP test
// keys and clearsigned releases, .deb files (ar members, control and data
// tars with gzip, xz or zstd compression), and an httptest server that
// publishes signed suites with by-hash Packages indexes.
//
// It is for tests only. It imports testing and net/http/httptest and reports
// failures through testing.TB; no non-test file may import it (a test in this
// package checks that). Everything it produces is deterministic: keys aside,
// the same inputs give the same bytes, and every timestamp derives from Now.
//
// It must not import internal/debian, whose in-package tests use it (an import
// cycle); it writes the formats that package reads, from their specifications.
package debiantest
