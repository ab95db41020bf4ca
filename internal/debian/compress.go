package debian

import (
	"fmt"
	"io"

	"github.com/klauspost/compress/zstd"
	"pault.ag/go/debian/deb"
)

// decompress returns a reader for r compressed as ext (".gz", ".xz", ".zst",
// ".bz2", ".lzma", or "" for none). The caller must Close it.
//
// zstd is handled here rather than by pault.ag/go/debian/deb, whose zstd
// reader is never closed and so leaves decoder goroutines behind; the rest
// use deb.DecompressorFor.
func decompress(ext string, r io.Reader) (io.ReadCloser, error) {
	switch ext {
	case "":
		return io.NopCloser(r), nil
	case ".zst":
		d, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, err
		}
		return zstdCloser{d}, nil
	case ".gz", ".xz", ".bz2", ".lzma":
		return deb.DecompressorFor(ext)(r)
	}
	return nil, fmt.Errorf("unsupported compression %q", ext)
}

type zstdCloser struct{ *zstd.Decoder }

func (z zstdCloser) Close() error {
	z.Decoder.Close()
	return nil
}
