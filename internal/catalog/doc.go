// Package catalog is the list of images a distill frontend image uses instead
// of assembling them: the base flavours a pipeline may ask for (by flavour, Go
// version and platform), the scanner and the vulnerability database, each
// pinned by digest in a registry, with what distill knows about them (the
// Debian packages installed, the Go toolchain, the database's age) for SBOMs
// and provenance. `distill frontend publish` writes it into the frontend
// image; the frontend reads it.
package catalog
