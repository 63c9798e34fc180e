#!/bin/sh
# render.sh PROXY DIR FRONTEND BACKEND: writes DIR/PROXY.cfg from
# PROXY.cfg.in (nginx: nginx.conf.in), replaced atomically.
set -eu
proxy=$1 dir=$2 frontend=$3 backend=$4
here=$(cd "$(dirname "$0")" && pwd)
template=$here/$proxy.cfg.in
[ "$proxy" = nginx ] && template=$here/nginx.conf.in
sed -e "s|@FRONTEND@|$frontend|g" -e "s|@BACKEND@|$backend|g" -e "s|@DIR@|$dir|g" \
	"$template" >"$dir/$proxy.cfg.tmp"
mv "$dir/$proxy.cfg.tmp" "$dir/$proxy.cfg"
