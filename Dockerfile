# syntax=docker/dockerfile:1
# Build: a static binary (no cgo), so the runtime image needs no libc.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# .git is not in the build context (.dockerignore), so Go cannot stamp the
# commit itself: pass it, e.g. --build-arg VERSION=v1.2.3
# --build-arg COMMIT=$(git rev-parse HEAD) --build-arg DATE=$(git log -1 --format=%cI).
ARG VERSION=dev
ARG COMMIT=
ARG DATE=
RUN CGO_ENABLED=0 go build -trimpath \
    -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT} -X main.date=${DATE}" \
    -o /out/ccm ./cmd/ccm

# Run: distroless static, as an unprivileged user (65532 = nonroot).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/ccm /usr/local/bin/ccm
# The config is yours: mount it at /etc/ccm/ccm.yaml (a ConfigMap, say);
# ccm watches it and applies edits without a restart.
USER 65532:65532
EXPOSE 8080
ENV CCM_CONFIG=/etc/ccm/ccm.yaml CCM_HTTP_ADDR=:8080
ENTRYPOINT ["/usr/local/bin/ccm"]
CMD ["serve"]
