#!/bin/sh
# render.sh PROXY DIR FRONTEND BACKEND: writes DIR/PROXY.cfg from
# PROXY.cfg.in (nginx: nginx.conf.in; with TLS=1 the -tls templates),
# replaced atomically.
set -eu
proxy=$1 dir=$2 frontend=$3 backend=$4
here=$(cd "$(dirname "$0")" && pwd)
suffix=
[ "${TLS:-0}" = 1 ] && suffix=-tls
template=$here/$proxy$suffix.cfg.in
[ "$proxy" = nginx ] && template=$here/nginx$suffix.conf.in
sed -e "s|@FRONTEND@|$frontend|g" -e "s|@BACKEND@|$backend|g" -e "s|@DIR@|$dir|g" \
	"$template" >"$dir/$proxy.cfg.tmp"
mv "$dir/$proxy.cfg.tmp" "$dir/$proxy.cfg"
