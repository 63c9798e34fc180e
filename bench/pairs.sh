#!/usr/bin/env bash
# Paired A/B of Baton against a baseline and HAProxy on one case, for
# changes smaller than bench/run.sh's spread. This machine's speed moves
# by 30% within a minute; two proxies measured back to back see the same
# machine, so their per-round ratio is steadier than either median.
# Each round runs every proxy once (wrk -t1 -c64, DURATION each; the h2
# case: h2load -c10 -m10 on a "proto h2" bind, as bench/run.sh's h2), in
# an order that rotates between rounds, and takes the proxy's CPU from
# /proc/PID/stat. It prints every round, then each proxy's medians and
# the median of the per-round ratios.
#
#   BASELINE=f529923 bench/pairs.sh                 # the rules case
#   BASELINE=f529923 CASE=ka ROUNDS=12 bench/pairs.sh
#   BASELINE=b7f326c CASE=h2 bench/pairs.sh
#   BASELINE=/tmp/baton-old PORT=16080 bench/pairs.sh
#
# BASELINE: a git revision (built from `git archive`) or a binary.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

CASE=${CASE:-rules}
ROUNDS=${ROUNDS:-10}
DURATION=${DURATION:-4s}
P=${PORT:-16080}
BASELINE=${BASELINE:?"BASELINE: a git revision or a Baton binary"}

. bench/lib.sh
bench_work baton-pairs

go build -o "$work/baton" ./cmd/baton
if [ -x "$BASELINE" ]; then
	cp "$BASELINE" "$work/baseline"
else
	mkdir "$work/base-src"
	git -C "$root" archive "$BASELINE" | tar -x -C "$work/base-src"
	(cd "$work/base-src" && go build -o "$work/baseline" ./cmd/baton)
fi
cp bench/rules/tenants.map "$work/tenants.map"

O=$((P + 1))
hello_origin "$O"

cfg() { # port: the case's frontend on port, as bench/run.sh has it
	http_prologue 4000
	cat <<CFG

backend origin
    server o1 127.0.0.1:$O

backend rapi
    server o1 127.0.0.1:$O

backend rstatic
    server o1 127.0.0.1:$O

frontend fe
    bind 127.0.0.1:$1$([ "$CASE" = h2 ] && echo " proto h2")
CFG
	if [ "$CASE" = rules ]; then
		sed -e "s|@MAP@|$work/tenants.map|" -e "s|@API@|rapi|" -e "s|@STATIC@|rstatic|" bench/rules/rules.cfg.in
	fi
	echo "    default_backend origin"
}

path=/
args=()
case $CASE in
ka) ;;
h2) command -v h2load >/dev/null || { echo "pairs: the h2 case needs h2load (apt-get install nghttp2-client)" >&2; exit 2; } ;;
rules)
	path="/products/42?ref=home"
	args=(-H "User-Agent: Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0" -H "Accept: text/html,application/xhtml+xml"
		-H "Cookie: theme=dark" -H "X-Debug: 1")
	;;
*) echo "pairs: CASE is ka, rules or h2" >&2; exit 2 ;;
esac

names=(baton baseline haproxy)
declare -A port pid
for i in 0 1 2; do
	n=${names[$i]}
	port[$n]=$((P + 10 + i))
	cfg "${port[$n]}" >"$work/$n.cfg"
	case $n in
	haproxy)
		haproxy -f "$work/$n.cfg" -db >"$work/$n.log" 2>&1 &
		pids+=($!)
		pid[$n]=$!
		;;
	*)
		"$work/$n" -f "$work/$n.cfg" >"$work/$n.log" 2>&1 &
		pids+=($!)
		;;
	esac
done
wait_port "$O"
for n in "${names[@]}"; do wait_port "${port[$n]}"; done
for n in baton baseline; do # the workers (the serving one and the spare), not the master
	pid[$n]=$(pgrep -f "^$work/$n __worker" | tr '\n' ' ')
done

cpu() { # pids: their user and system time in ticks
	local p s=0
	for p in $1; do s=$((s + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done
	echo "$s"
}
tick=$(getconf CLK_TCK)
: >"$work/rounds"
for r in $(seq "$ROUNDS"); do
	for i in 0 1 2; do
		n=${names[$(((i + r) % 3))]}
		c0=$(cpu "${pid[$n]}")
		if [ "$CASE" = h2 ]; then
			out=$(h2load -c10 -m10 -D"${DURATION%s}" "http://127.0.0.1:${port[$n]}$path")
			c1=$(cpu "${pid[$n]}")
			reqs=$(echo "$out" | awk '/^requests:/ {print $8}')
			rps=$(echo "$out" | awk '/^finished in/ {print $4}')
		else
			out=$(wrk -t1 -c64 -d"$DURATION" "${args[@]}" "http://127.0.0.1:${port[$n]}$path")
			c1=$(cpu "${pid[$n]}")
			reqs=$(echo "$out" | awk '/requests in/ {print $1}')
			rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
		fi
		us=$(awk -v a="$c0" -v b="$c1" -v r="$reqs" -v t="$tick" 'BEGIN {printf "%.2f", (b - a) * 1e6 / t / r}')
		echo "$r $n $rps $us" | tee -a "$work/rounds"
	done
done

echo
echo "Machine: $(nproc) cores; $([ "$CASE" = h2 ] && echo "h2load -c10 -m10 -D${DURATION%s}" || echo "wrk -t1 -c64 -d$DURATION"); case $CASE; $ROUNDS rounds; cpu: proxy CPU microseconds per request"
for n in "${names[@]}"; do
	printf '%s: median rps %s, median cpu %s\n' "$n" \
		"$(awk -v n="$n" '$2 == n {print $3}' "$work/rounds" | median)" \
		"$(awk -v n="$n" '$2 == n {print $4}' "$work/rounds" | median)"
done
pair() { # a b: the median of a's per-round rps and cpu ratios to b
	printf '%s/%s, median of per-round ratios: rps %s, cpu %s\n' "$1" "$2" \
		"$(awk -v a="$1" -v b="$2" '$2 == a {x[$1] = $3} $2 == b {y[$1] = $3} END {for (r in x) print x[r] / y[r]}' "$work/rounds" | median)" \
		"$(awk -v a="$1" -v b="$2" '$2 == a {x[$1] = $4} $2 == b {y[$1] = $4} END {for (r in x) print x[r] / y[r]}' "$work/rounds" | median)"
}
pair baton baseline
pair baton haproxy
pair baseline haproxy
