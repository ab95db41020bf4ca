// Command go-app is distill's example Go service: it greets clients in their
// language (GET /) and answers health checks (GET /healthz).
//
//	go-app                 serve on $PORT (default 8080)
//	go-app -version        print the version and exit
//	go-app -probe URL      GET URL once: exit 0 on 200 OK, else 1 (a health check
//	                       for images without curl)
//
// The version is set at build time: go build -ldflags "-X main.version=1.2.3".
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/distill-dev/distill/examples/go-app/internal/greet"
)

var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("go-app", flag.ContinueOnError)
	fs.SetOutput(stderr)
	showVersion := fs.Bool("version", false, "print the version and exit")
	probeURL := fs.String("probe", "", "GET `URL` once and exit 0 on 200 OK, else 1")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	switch {
	case *showVersion:
		fmt.Fprintln(stdout, version)
		return 0
	case *probeURL != "":
		if err := probe(*probeURL, 5*time.Second); err != nil {
			log.Error("probe failed", "url", *probeURL, "err", err)
			return 1
		}
		return 0
	}
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, net.JoinHostPort("", port), log); err != nil {
		log.Error("server failed", "err", err)
		return 1
	}
	return 0
}

// serve answers on addr until ctx is done, then lets requests in flight finish.
func serve(ctx context.Context, addr string, log *slog.Logger) error {
	srv := &http.Server{Addr: addr, Handler: routes(log), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Info("listening", "addr", addr, "version", version)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// response is the JSON body of GET /.
type response struct {
	greet.Greeting
	Version string `json:"version"`
}

func routes(log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		accept := r.Header.Get("Accept-Language")
		if lang := r.URL.Query().Get("lang"); lang != "" {
			accept = lang
		}
		g := greet.For(accept)
		log.Info("greeted", "accept", accept, "language", g.Language)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(response{Greeting: g, Version: version})
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	})
	return mux
}

// probe GETs url once and fails unless the answer is 200 OK.
func probe(url string, timeout time.Duration) error {
	c := http.Client{Timeout: timeout}
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s", resp.Status)
	}
	return nil
}
