// Command registry is the OCI registry the integration tests push to and pull from:
// go-containerregistry's pkg/registry, with the referrers API, on a local address.
// Manifests live in memory; with -dir, blobs are kept on disk.
//
//	registry -addr 127.0.0.1:5000 [-dir DIR]
package main

import (
	"flag"
	"log"
	"net"
	"net/http"
	"os"

	"github.com/google/go-containerregistry/pkg/registry"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:5000", "address to listen on")
	dir := flag.String("dir", "", "keep blobs in this directory instead of in memory")
	flag.Parse()

	logger := log.New(os.Stderr, "registry: ", log.LstdFlags)
	opts := []registry.Option{registry.WithReferrersSupport(true), registry.Logger(logger)}
	if *dir != "" {
		if err := os.MkdirAll(*dir, 0o755); err != nil {
			logger.Fatal(err)
		}
		opts = append(opts, registry.WithBlobHandler(registry.NewDiskBlobHandler(*dir)))
	}

	l, err := net.Listen("tcp", *addr)
	if err != nil {
		logger.Fatalf("%v (is another registry running? pick another port)", err)
	}
	logger.Printf("serving on %s", l.Addr())
	logger.Fatal(http.Serve(l, registry.New(opts...)))
}
