# The hand-written baseline distill's benchmark compares with: examples/go-app
# as a multi-stage Dockerfile (the golang → distroless pattern), built by
# BuildKit's own Dockerfile frontend. distill/go and distill/static are named
# contexts pointing at distill's base images, so both sides start from the
# same bases. The CA bundle secret is what any build behind a TLS-inspecting
# proxy needs for go mod download.
FROM distill/go AS build
ARG GOPROXY
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=secret,id=ca,target=/etc/ssl/certs/ca-certificates.crt go mod download
COPY . .
RUN --mount=type=cache,target=/root/.cache/go-build CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=1.0.0" -o /out/go-app ./cmd/go-app

FROM build AS test
RUN --mount=type=cache,target=/root/.cache/go-build go test ./...

FROM distill/static AS runtime
COPY --from=build /out/go-app /app/go-app
ENTRYPOINT ["/app/go-app"]
