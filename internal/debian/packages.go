package debian

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"pault.ag/go/debian/control"
	"pault.ag/go/debian/dependency"
	"pault.ag/go/debian/version"
)

// Package is one stanza of a binary Packages index.
type Package struct {
	Name, Version, Architecture string
	// Source and SourceVersion come from "Source: name (version)"; they
	// default to Name and Version.
	Source, SourceVersion string
	Filename              string // relative to BaseURI
	Size                  int64
	SHA256                string
	Priority              string
	Essential             bool
	MultiArch             string
	Section               string
	InstalledSize         int64 // KiB, as in the index
	Depends, PreDepends   dependency.Dependency
	Provides              []Provide
	// Paragraph is the raw stanza, for writing dpkg status records.
	Paragraph control.Paragraph
	BaseURI   string // archive base URI that Filename is relative to
	Suite     string // e.g. "bookworm-security"

	ver version.Version // parsed Version
}

// Provide is one entry of a Provides field.
type Provide struct {
	Name    string
	Version string // exact version ("= v"), "" when unversioned

	ver version.Version
}

// String returns "name=version" (or "name" for a zero Version).
func (p *Package) String() string {
	if p.Version == "" {
		return p.Name
	}
	return p.Name + "=" + p.Version
}

// ParsedVersion returns the parsed Version field.
func (p *Package) ParsedVersion() version.Version { return p.ver }

// URL returns the download URL of the .deb.
func (p *Package) URL() string {
	return strings.TrimRight(p.BaseURI, "/") + "/" + strings.TrimLeft(p.Filename, "/")
}

// PackagesError reports a malformed stanza of a Packages index.
type PackagesError struct {
	Suite   string
	Stanza  int    // 1-based
	Package string // "" when the name itself is missing
	Err     error
}

func (e *PackagesError) Error() string {
	name := e.Package
	if name == "" {
		name = "?"
	}
	return fmt.Sprintf("Packages index %s: stanza %d (%s): %v", e.Suite, e.Stanza, name, e.Err)
}

func (e *PackagesError) Unwrap() error { return e.Err }

// ParsePackages parses a binary Packages index (uncompressed) with
// pault.ag/go/debian/control. baseURI and suite are recorded on every
// Package. The result keeps the index order.
//
// The input is cut into chunks at stanza boundaries and the chunks are parsed
// concurrently (bookworm's main index has some 63,000 stanzas).
func ParsePackages(r io.Reader, baseURI, suite string) ([]*Package, error) {
	type result struct {
		pkgs []*Package
		err  *PackagesError // Stanza relative to the chunk
	}
	type job struct {
		chunk []byte
		res   chan result
	}
	workers := runtime.GOMAXPROCS(0)
	jobs := make(chan job, workers)
	order := make(chan chan result, 4*workers)

	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				pkgs, err := parseChunk(j.chunk)
				j.res <- result{pkgs, err}
			}
		}()
	}

	readErr := make(chan error, 1)
	go func() {
		defer close(order)
		defer close(jobs)
		readErr <- splitChunks(r, packagesChunkSize, func(chunk []byte) {
			res := make(chan result, 1)
			order <- res
			jobs <- job{chunk, res}
		})
	}()

	var out []*Package
	var firstErr error
	for res := range order {
		r := <-res
		if firstErr == nil && r.err != nil {
			r.err.Suite = suite
			r.err.Stanza += len(out)
			firstErr = r.err
		}
		if firstErr == nil {
			out = append(out, r.pkgs...)
		}
	}
	wg.Wait()
	if err := <-readErr; err != nil {
		return nil, fmt.Errorf("Packages index %s: %w", suite, err)
	}
	if firstErr != nil {
		return nil, firstErr
	}
	for _, p := range out {
		p.BaseURI = baseURI
		p.Suite = suite
	}
	return out, nil
}

// packagesChunkSize is the amount of index text handed to one parser.
const packagesChunkSize = 1 << 20

// splitChunks reads r and calls emit with chunks of roughly size bytes that
// end at a stanza boundary (a blank line) or at the end of input.
func splitChunks(r io.Reader, size int, emit func([]byte)) error {
	var carry []byte
	for {
		buf := make([]byte, len(carry), len(carry)+size)
		copy(buf, carry)
		n, err := io.ReadFull(r, buf[len(carry):cap(buf)])
		buf = buf[:len(carry)+n]
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			if len(bytes.TrimSpace(buf)) > 0 {
				emit(buf)
			}
			return nil
		}
		if err != nil {
			return err
		}
		cut := bytes.LastIndex(buf, []byte("\n\n"))
		if cut < 0 {
			// A single stanza larger than the chunk: keep reading.
			carry = buf
			continue
		}
		emit(buf[:cut+2])
		carry = buf[cut+2:]
	}
}

// parseChunk parses whole stanzas; an error carries the chunk-relative
// stanza number.
func parseChunk(chunk []byte) ([]*Package, *PackagesError) {
	pr, err := control.NewParagraphReader(bytes.NewReader(chunk), nil)
	if err != nil {
		return nil, &PackagesError{Stanza: 1, Err: err}
	}
	var out []*Package
	for {
		para, err := pr.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, &PackagesError{Stanza: len(out) + 1, Err: err}
		}
		p, err := packageFromParagraph(para)
		if err != nil {
			return nil, &PackagesError{Stanza: len(out) + 1, Package: para.Values["Package"], Err: err}
		}
		out = append(out, p)
	}
}

func packageFromParagraph(para *control.Paragraph) (*Package, error) {
	v := para.Values
	p := &Package{
		Name:         v["Package"],
		Version:      v["Version"],
		Architecture: v["Architecture"],
		Filename:     v["Filename"],
		SHA256:       strings.ToLower(v["SHA256"]),
		Priority:     v["Priority"],
		Essential:    strings.EqualFold(v["Essential"], "yes"),
		MultiArch:    v["Multi-Arch"],
		Section:      v["Section"],
		Paragraph:    *para,
	}
	if p.Name == "" {
		return nil, errors.New("missing Package field")
	}
	if p.Version == "" {
		return nil, errors.New("missing Version field")
	}
	var err error
	if p.ver, err = version.Parse(p.Version); err != nil {
		return nil, fmt.Errorf("Version %q: %w", p.Version, err)
	}
	p.Source, p.SourceVersion = p.Name, p.Version
	if s := strings.TrimSpace(v["Source"]); s != "" {
		name, ver, ok := strings.Cut(s, " ")
		p.Source = name
		if ok {
			ver = strings.TrimSpace(ver)
			if !strings.HasPrefix(ver, "(") || !strings.HasSuffix(ver, ")") {
				return nil, fmt.Errorf("malformed Source %q", s)
			}
			p.SourceVersion = strings.TrimSpace(ver[1 : len(ver)-1])
		}
	}
	if s := v["Size"]; s != "" {
		if p.Size, err = strconv.ParseInt(s, 10, 64); err != nil {
			return nil, fmt.Errorf("Size %q: %w", s, err)
		}
	}
	if s := v["Installed-Size"]; s != "" {
		if p.InstalledSize, err = strconv.ParseInt(s, 10, 64); err != nil {
			return nil, fmt.Errorf("Installed-Size %q: %w", s, err)
		}
	}
	if err := parseRelation(v["Depends"], &p.Depends); err != nil {
		return nil, fmt.Errorf("Depends: %w", err)
	}
	if err := parseRelation(v["Pre-Depends"], &p.PreDepends); err != nil {
		return nil, fmt.Errorf("Pre-Depends: %w", err)
	}
	if s := v["Provides"]; s != "" {
		var d dependency.Dependency
		if err := parseRelation(s, &d); err != nil {
			return nil, fmt.Errorf("Provides: %w", err)
		}
		for _, rel := range d.Relations {
			for _, poss := range rel.Possibilities {
				pv := Provide{Name: poss.Name}
				if poss.Version != nil {
					if poss.Version.Operator != "=" {
						return nil, fmt.Errorf("Provides %s: only \"=\" versions are allowed", poss.Name)
					}
					pv.Version = poss.Version.Number
					if pv.ver, err = version.Parse(pv.Version); err != nil {
						return nil, fmt.Errorf("Provides %s version %q: %w", poss.Name, pv.Version, err)
					}
				}
				p.Provides = append(p.Provides, pv)
			}
		}
	}
	return p, nil
}

func parseRelation(s string, into *dependency.Dependency) error {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	d, err := dependency.Parse(s)
	if err != nil {
		return err
	}
	*into = *d
	return nil
}
