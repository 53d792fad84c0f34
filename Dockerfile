# syntax=docker/dockerfile:1
# mvapi in a container: a static binary (CGO_ENABLED=0; the SQLite driver,
# modernc.org/sqlite, is pure Go) on distroless/static, running as the
# image's non-root user (65532). See README, Operations.
#
#   docker build -t mvapi --build-arg VERSION=$(git describe --tags --always) .
#   docker run -d --name mvapi -p 8080:8080 -v mvapi-data:/data mvapi
#   docker run -d -p 8080:8080 -e MVAPI_DB='postgres://mvapi:PW@db/mvapi' mvapi
#
# The build line below is the one `make static` runs (and packaging's test
# checks): keep them the same.

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.Version=${VERSION}" -o /out/mvapi ./cmd/mvapi
# The data folder, owned by the runtime user (distroless has no shell to mkdir).
RUN mkdir -p /out/data && chown 65532:65532 /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/mvapi /usr/local/bin/mvapi
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
# The SQLite file, and the relative folders serverdir (files), filestoragedir,
# backupdir: all under the working directory, on the volume.
WORKDIR /data
VOLUME /data
# The DSN: override with -e MVAPI_DB=postgres://... or --db-file
# /run/secrets/mvapi_dsn (a Docker secret), never on the command line.
ENV MVAPI_DB=sqlite:/data/mvapi.db
# 8080: the API (mainaport). Other listeners are off by default; publish the
# ones you turn on: HTTPS (sslportmain, e.g. 8443), the admin console
# (adminport), raw TCP/UDP (tcpport, udpport).
EXPOSE 8080
# SIGTERM stops gracefully (running requests and jobs finish within 20 s):
# give `docker stop` time, e.g. --stop-timeout 30.
STOPSIGNAL SIGTERM
# No HEALTHCHECK: the image has no shell and no curl to run one. Health is
# /live and /ready on the admin listener: set MVAPI_ADMINHTTPADDR (e.g.
# 0.0.0.0:9180, published only to the management network) and let the
# orchestrator probe it (Kubernetes httpGet on /ready, a load balancer's
# check). apitest1 answers without touching the database: not a health check.
ENTRYPOINT ["/usr/local/bin/mvapi"]
CMD ["serve"]
