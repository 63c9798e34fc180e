#!/bin/sh
# render.sh PROXY DIR FRONTEND BACKEND: writes DIR/PROXY.cfg from
# PROXY.cfg.in (nginx: nginx.conf.in; with TLS=1 the -tls templates; H2=1
# turns HTTP/2 on at the frontend),
# replaced atomically.
set -eu
proxy=$1 dir=$2 frontend=$3 backend=$4
here=$(cd "$(dirname "$0")" && pwd)
suffix=
[ "${TLS:-0}" = 1 ] && suffix=-tls
template=$here/$proxy$suffix.cfg.in
[ "$proxy" = nginx ] && template=$here/nginx$suffix.conf.in
# H2=1: HTTP/2 on the frontend: ALPN h2 on a TLS bind, prior knowledge
# ("proto h2", nginx "http2") on a clear one.
h2bind= h2listen=
if [ "${H2:-0}" = 1 ]; then
	h2listen=" http2"
	h2bind=" proto h2"
	[ "${TLS:-0}" = 1 ] && h2bind=" alpn h2,http/1.1"
fi
sed -e "s|@H2BIND@|$h2bind|g" -e "s|@H2LISTEN@|$h2listen|g" -e "s|@FRONTEND@|$frontend|g" -e "s|@BACKEND@|$backend|g" -e "s|@DIR@|$dir|g" \
	"$template" >"$dir/$proxy.cfg.tmp"
mv "$dir/$proxy.cfg.tmp" "$dir/$proxy.cfg"
