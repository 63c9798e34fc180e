#!/bin/sh
# flip.sh PROXY DIR FRONTEND: the --reload command of run.sh. It renders
# DIR/PROXY.cfg from the template with the backend that `baton reload-test`
# names in $BATON_RT_LABEL, then reloads PROXY: HAProxy and Baton by
# SIGUSR2 to the master (BATON_RELOAD=cli: `baton reload`), nginx by
# `nginx -s reload`.
set -eu
proxy=$1 dir=$2 frontend=$3
here=$(cd "$(dirname "$0")" && pwd)
case "${BATON_RT_LABEL:-a}" in
a) backend=$BATON_RT_ADDR_A ;;
b) backend=$BATON_RT_ADDR_B ;;
*) echo "flip.sh: BATON_RT_LABEL=$BATON_RT_LABEL" >&2; exit 2 ;;
esac
"$here/render.sh" "$proxy" "$dir" "$frontend" "$backend"
case "$proxy" in
haproxy) kill -USR2 "$(cat "$dir/master.pid")" ;;
nginx) nginx -p "$dir" -c "$dir/nginx.cfg" -s reload ;;
baton)
	# BATON_RELOAD=cli waits for the result through the master CLI (a
	# process of its own); the default signals the master as HAProxy's
	# line does, so both switch times count the same command.
	if [ "${BATON_RELOAD:-signal}" = cli ]; then
		"$dir/../bin/baton" reload -S "$dir/master.sock"
	else
		kill -USR2 "$(cat "$dir/master.pid")"
	fi
	;;
*) echo "flip.sh: unknown proxy $proxy" >&2; exit 2 ;;
esac
