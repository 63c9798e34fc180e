# Baton as PID 1: the master owns the sockets and reaps its workers.
FROM golang:1.26 AS build
WORKDIR /src
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -o /baton ./cmd/baton

FROM gcr.io/distroless/static-debian12
COPY --from=build /baton /usr/local/bin/baton
COPY examples/demo.cfg /etc/baton/baton.cfg
# Reload: docker kill -s HUP <container>, or
#   docker exec <container> baton reload -S /tmp/baton-master.sock
# SIGTERM is a graceful stop for Baton (for HAProxy it is a hard stop):
# workers stop accepting and drain, bounded by hard-stop-after.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/baton", "-f", "/etc/baton/baton.cfg", "-S", "/tmp/baton-master.sock"]
