# syntax=docker/dockerfile:1
# giia: one image, one binary. `docker build -t giia:0.1.0 .`
#   docker run giia:0.1.0 serve auth        (or: serve catalog, migrate up, seed-roles, ...)
# Build stage: Debian bookworm with the -dev packages giia builds with
# (scripts/lib/common.sh GIIA_PACKAGES, less the test servers and tools),
# CMake + Ninja, Release, tests off. Runtime stage: bookworm-slim with only
# the shared libraries the binary links, as uid 10001.
# scripts/check_deploy.sh checks (without Docker) that every -dev package of
# GIIA_PACKAGES is installed here, that every runtime package exists in
# bookworm, and that every library `ldd giia` lists comes from a runtime
# package named below or one of their dependencies.

FROM debian:bookworm AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config \
      libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler \
      libpq-dev libsodium-dev libnats-dev libcurl4-openssl-dev libhiredis-dev \
      libboost-dev libssl-dev libspdlog-dev libcli11-dev nlohmann-json3-dev libexpected-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY cmake/ cmake/
COPY proto/ proto/
COPY sql/ sql/
COPY src/ src/
# No .git in the build context (.dockerignore): `giia version` reports the
# commit as "unknown"; the image's revision label carries it instead.
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DGIIA_BUILD_TESTS=OFF \
 && cmake --build build --target giia \
 && strip build/src/giia \
 && build/src/giia --help >/dev/null

FROM debian:bookworm-slim AS runtime
ARG GIIA_REVISION=unknown
LABEL org.opencontainers.image.title="giia" \
      org.opencontainers.image.description="GIIA core engine: auth and catalog services and the operator's toolkit, one binary" \
      org.opencontainers.image.revision="${GIIA_REVISION}"
# Runtime libraries only: the packages that ship the libraries giia links
# (readelf -d: NEEDED); apt brings their own dependencies.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates \
      libcurl4 libhiredis0.14 libgrpc++1.51 libgrpc29 libprotobuf32 libabsl20220623 \
      libssl3 libspdlog1.10 libfmt9 libpq5 libsodium23 libnats3.4 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 giia \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin giia
COPY --from=build /src/build/src/giia /usr/local/bin/giia
USER 10001:10001
WORKDIR /tmp
# auth: HTTP 8083, gRPC 9091; catalog: HTTP 8084, gRPC 9092; METRICS_PORT 9100.
EXPOSE 8083 8084 9091 9092 9100
# Liveness of whichever service runs: HTTP_PORT when set (the catalog's
# containers set 8084), else auth's 8083. Kubernetes ignores this and uses
# its own probes (k8s/base/*/deployment.yaml).
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD giia health --http "http://127.0.0.1:${HTTP_PORT:-8083}/health/live"
ENTRYPOINT ["/usr/local/bin/giia"]
CMD ["--help"]
