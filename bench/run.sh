#!/usr/bin/env bash
# Side-by-side benchmark: Baton, HAProxy and nginx on the same machine, the
# same origin and (for Baton and HAProxy) the same configuration file.
#
#   bench/run.sh                 # every case, 3 alternating rounds of 5 s
#   ROUNDS=5 DURATION=10s CASES="ka close" bench/run.sh
#   BASELINE=main CASES="ka close 64k" bench/run.sh   # A/B: also Baton built from
#                                # git revision main ("baseline", plain cases only)
#   BASELINE=/tmp/baton-main PROXIES="baton baseline" CASES=ka bench/run.sh
#                                # A/B: this tree's Baton against another build
#   PORT=29080 bench/run.sh      # ports from 29080 (default 19080)
#   RAW=/tmp/raw.txt bench/run.sh  # also keep every round's figures
#   H2_BASELINE=1 BASELINE=main CASES="h2 ka" bench/run.sh
#                                # A/B including the h2 and tls cases (a baseline with HTTP/2 and TLS)
#   COMP_BASELINE=1 BASELINE=main CASES=comp bench/run.sh
#                                # A/B including comp (a baseline with compression)
#
# Cases: ka (keep-alive, small response), close (Connection: close),
# 64k (64 KiB responses), upload (1 MiB POST bodies), idle (RSS per idle
# keep-alive connection, 9000 held: the fd hard limit here is 20000 and
# HAProxy needs 2 fds per maxconn), tcp (mode tcp bulk throughput), rules
# (keep-alive through bench/rules/rules.cfg.in: 20 ACLs, a map lookup and
# 5 header rewrites; Baton, HAProxy and the baseline).
# TLS cases, on the same ECDSA P-256 (ec) and RSA-2048 (rsa) certificates
# for all three: tls-hs-ec, tls-hs-rsa (full handshakes/s: tlsload, 16
# workers each doing handshake, GET, close, with no session cache; wrk
# would resume: its SSL_clear keeps the session), tls-resume (resumed
# handshakes/s: tlsload -resume, a session cache per worker), tls-ka
# (keep-alive requests/s over TLS), tls-64k (64 KiB responses over TLS),
# tls-idle (RSS per idle TLS connection, IDLE_TLS held).
# HTTP/2 cases (h2load, H2_CONNS connections with H2_STREAMS streams
# each): h2 (clear text with prior knowledge, small responses), h2-tls
# (over TLS, ALPN h2), h2-64k (64 KiB responses, clear text); h2-idle and
# h2-idle-tls (RSS per idle HTTP/2 connection, IDLE_H2 held, each after one
# stream: clear text with prior knowledge, and over TLS with ALPN h2);
# h2-backend (clear text on both sides: "server ... proto h2" to an nginx
# HTTP/2 origin; Baton and HAProxy only: nginx cannot proxy to h2).
# comp: 64 KiB text responses (the start of doc/*.md) compressed with gzip
# ("compression algo gzip", Accept-Encoding: gzip); Baton and HAProxy
# (libslz), and the baseline with COMP_BASELINE=1: nginx is not
# configured to compress. Its "bytes" row is the compressed body's size.
# Runs alternate proxies within each round (A B C A B C ...) and the table
# gives medians over rounds, with Baton/HAProxy ratios from the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5s}
CONNS=${CONNS:-64}
IDLE=${IDLE:-9000}
IDLE_TLS=${IDLE_TLS:-5000}
IDLE_H2=${IDLE_H2:-2000}
H2_CONNS=${H2_CONNS:-10}
H2_STREAMS=${H2_STREAMS:-10}
CASES=${CASES:-"ka close 64k upload idle tcp rules tls-hs-ec tls-hs-rsa tls-resume tls-ka tls-64k tls-idle h2 h2-tls h2-64k h2-idle h2-idle-tls h2-backend comp"}
PROXIES=${PROXIES:-"baton haproxy nginx"}
# BASELINE: another Baton, run as proxy "baseline": a binary, or a git
# revision of this tree to build.
BASELINE=${BASELINE:-}
[ -n "$BASELINE" ] && [[ " $PROXIES " != *" baseline "* ]] && PROXIES="$PROXIES baseline"

need=()
command -v haproxy >/dev/null || need+=(haproxy)
command -v nginx >/dev/null || need+=(nginx-light)
command -v wrk >/dev/null || need+=(wrk)
command -v h2load >/dev/null || need+=(nghttp2-client)
[ -e /usr/lib/nginx/modules/ngx_stream_module.so ] || need+=(libnginx-mod-stream)
if [ ${#need[@]} -gt 0 ]; then
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

. bench/lib.sh
bench_work baton-bench # the origin's workers (nobody) read the 64k file from here

has() { [[ " $PROXIES " == *" $1 "* ]]; }
has baton && go build -o "$work/baton" ./cmd/baton
if [ -n "$BASELINE" ] && [ -f "$BASELINE" ]; then
	[ -x "$BASELINE" ] || { echo "bench: BASELINE=$BASELINE is not an executable" >&2; exit 2; }
	cp "$BASELINE" "$work/baseline"
	BASELINE_DESC="binary $BASELINE"
elif [ -n "$BASELINE" ]; then
	mkdir -p "$work/baseline-src"
	git -C "$root" archive "$BASELINE" | tar -x -C "$work/baseline-src"
	(cd "$work/baseline-src" && go build -o "$work/baseline" ./cmd/baton)
	BASELINE_DESC="at $BASELINE ($(git -C "$root" rev-parse --short "$BASELINE"))"
fi
go build -o "$work/idleconns" ./bench/cmd/idleconns
go build -o "$work/tcpbulk" ./bench/cmd/tcpbulk
go build -o "$work/tlsload" ./bench/cmd/tlsload
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=bench.example \
	-keyout "$work/ec.key" -out "$work/ec.crt" 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=bench.example \
	-keyout "$work/rsa.key" -out "$work/rsa.crt" 2>/dev/null
cat "$work/ec.crt" "$work/ec.key" >"$work/ec.pem"
cat "$work/rsa.crt" "$work/rsa.key" >"$work/rsa.pem"

# Ports from PORT (19080): origin PORT, tcp source PORT+20; proxies:
# http PORT+1.., tcp PORT+21.., TLS ECDSA PORT+31.., TLS RSA PORT+41..,
# rules PORT+51.., HTTP/2 clear text PORT+61.., HTTP/2 to an HTTP/2
# origin PORT+65.. (that origin PORT+70), compression PORT+71..
# (another run on the machine needs another PORT).
P=${PORT:-19080}
O=$P TS=$((P + 20))
declare -A HTTP=([baton]=$((P + 1)) [haproxy]=$((P + 2)) [nginx]=$((P + 3)) [baseline]=$((P + 4)))
declare -A TCP=([baton]=$((P + 21)) [haproxy]=$((P + 22)) [nginx]=$((P + 23)) [baseline]=$((P + 24)))
declare -A TLSEC=([baton]=$((P + 31)) [haproxy]=$((P + 32)) [nginx]=$((P + 33)) [baseline]=$((P + 34)))
declare -A TLSRSA=([baton]=$((P + 41)) [haproxy]=$((P + 42)) [nginx]=$((P + 43)) [baseline]=$((P + 44)))
declare -A RULES=([baton]=$((P + 51)) [haproxy]=$((P + 52)) [baseline]=$((P + 54)))
declare -A H2C=([baton]=$((P + 61)) [haproxy]=$((P + 62)) [nginx]=$((P + 63)) [baseline]=$((P + 64)))
declare -A COMP=([baton]=$((P + 71)) [haproxy]=$((P + 72)))
[ -z "${COMP_BASELINE:-}" ] || COMP[baseline]=$((P + 74))
declare -A H2B=([baton]=$((P + 65)) [haproxy]=$((P + 66)))
OH2=$((P + 70))

head -c 65536 /dev/zero | tr '\0' 'x' >"$work/64k"
cat doc/*.md >"$work/doc.txt" # real text for the comp case
head -c 65536 "$work/doc.txt" >"$work/64k.txt"
cat >"$work/origin.conf" <<NGX
worker_processes 1;
error_log $work/origin.err;
pid $work/origin.pid;
events { worker_connections 19000; }
http {
  access_log off;
  keepalive_requests 10000000;
  client_max_body_size 2m;
  server {
    listen 127.0.0.1:$O backlog=4096;
    location = /64k { root $work; }
    location = /64k.txt { root $work; default_type text/plain; }
    location / { return 200 "hello\n"; }
  }
  server {
    listen 127.0.0.1:$OH2 http2 backlog=4096;
    location = /64k { root $work; }
    location / { return 200 "hello\n"; }
  }
}
NGX
nginx -c "$work/origin.conf" -g 'daemon off;' &
pids+=($!)
"$work/tcpbulk" -serve 127.0.0.1:$TS &
pids+=($!)

cp bench/rules/tenants.map "$work/tenants.map"
rules_frontend() { # port: the rules case's frontend
	echo "frontend rules"
	echo "    bind 127.0.0.1:$1"
	sed -e "s|@MAP@|$work/tenants.map|" -e "s|@API@|rapi|" -e "s|@STATIC@|rstatic|" bench/rules/rules.cfg.in
	echo "    default_backend origin"
	echo
	echo "backend rapi"
	echo "    server o1 127.0.0.1:$O"
	echo
	echo "backend rstatic"
	echo "    server o1 127.0.0.1:$O"
}

proxy_cfg() { # port tcpport rulesport [ecport rsaport h2port compport h2beport]: the configuration Baton and HAProxy share (an empty rulesport: no rules frontend)
	http_prologue 9900
	cat <<CFG

frontend fe
    bind 127.0.0.1:$1
    default_backend origin

backend origin
    server o1 127.0.0.1:$O

listen bulk
    mode tcp
    bind 127.0.0.1:$2
    server src 127.0.0.1:$TS

CFG
	[ -z "${3:-}" ] || rules_frontend "$3"
	[ $# -lt 5 ] && return # the baseline may predate TLS
	cat <<CFG

frontend tls_ec
    bind 127.0.0.1:$4 ssl crt $work/ec.pem alpn h2,http/1.1
    default_backend origin

frontend tls_rsa
    bind 127.0.0.1:$5 ssl crt $work/rsa.pem
    default_backend origin

frontend h2c
    bind 127.0.0.1:$6 proto h2
    default_backend origin

CFG
	[ -z "${8:-}" ] || cat <<CFG

frontend h2be
    bind 127.0.0.1:$8 proto h2
    default_backend origin_h2

backend origin_h2
    server o1 127.0.0.1:$OH2 proto h2
CFG
	[ -z "${7:-}" ] || comp_frontend "$7"
}
comp_frontend() { # port
	cat <<CFG

frontend comp
    bind 127.0.0.1:$1
    compression algo gzip
    compression type text/
    default_backend origin
CFG
}
proxy_cfg "${HTTP[baton]}" "${TCP[baton]}" "${RULES[baton]}" "${TLSEC[baton]}" "${TLSRSA[baton]}" "${H2C[baton]}" "${COMP[baton]}" "${H2B[baton]}" >"$work/baton.cfg"
proxy_cfg "${HTTP[haproxy]}" "${TCP[haproxy]}" "${RULES[haproxy]}" "${TLSEC[haproxy]}" "${TLSRSA[haproxy]}" "${H2C[haproxy]}" "${COMP[haproxy]}" "${H2B[haproxy]}" >"$work/haproxy.cfg"
# A baseline that predates the rules language gets no rules frontend
# unless RULES_BASELINE=1, and none of TLS and HTTP/2 unless H2_BASELINE=1
# (then it runs the h2 and tls cases too).
if [ -n "${H2_BASELINE:-}" ]; then
	proxy_cfg "${HTTP[baseline]}" "${TCP[baseline]}" "$([ -n "${RULES_BASELINE:-}" ] && echo "${RULES[baseline]}")" \
		"${TLSEC[baseline]}" "${TLSRSA[baseline]}" "${H2C[baseline]}" >"$work/baseline.cfg"
else
	proxy_cfg "${HTTP[baseline]}" "${TCP[baseline]}" "$([ -n "${RULES_BASELINE:-}" ] && echo "${RULES[baseline]}")" >"$work/baseline.cfg"
fi
[ -z "${COMP[baseline]:-}" ] || comp_frontend "${COMP[baseline]}" >>"$work/baseline.cfg"
nginx_server() { # listen-lines cert: one nginx server block proxying to the origin
	cat <<NGX
  server {
    $1
    ${2:+ssl_certificate $2; ssl_certificate_key $2;}
    location / {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
NGX
}
cat >"$work/nginx.conf" <<NGX
worker_processes auto;
error_log $work/nginx.err;
pid $work/nginx.pid;
load_module /usr/lib/nginx/modules/ngx_stream_module.so;
events { worker_connections 19000; }
http {
  access_log off;
  keepalive_requests 10000000;
  client_max_body_size 2m;
  upstream origin { server 127.0.0.1:$O; keepalive 128; }
  ssl_session_cache shared:SSL:10m;
$(nginx_server "listen 127.0.0.1:${HTTP[nginx]} backlog=4096; listen 127.0.0.1:${TLSEC[nginx]} ssl http2 backlog=4096;" "$work/ec.pem")
$(nginx_server "listen 127.0.0.1:${H2C[nginx]} http2 backlog=4096;")
$(nginx_server "listen 127.0.0.1:${TLSRSA[nginx]} ssl backlog=4096;" "$work/rsa.pem")
}
stream {
  server { listen 127.0.0.1:${TCP[nginx]}; proxy_pass 127.0.0.1:$TS; }
}
NGX

haproxy -c -q -f "$work/haproxy.cfg"
declare -A PID=()
if has baton; then
	"$work/baton" -c -f "$work/baton.cfg" >/dev/null
	"$work/baton" -f "$work/baton.cfg" >/dev/null 2>"$work/baton.err" &
	pids+=($!)
	PID[baton]=$!
fi
if has baseline; then
	"$work/baseline" -f "$work/baseline.cfg" >/dev/null 2>"$work/baseline.err" &
	pids+=($!)
	PID[baseline]=$!
fi
haproxy -W -db -f "$work/haproxy.cfg" >/dev/null 2>"$work/haproxy.err" &
pids+=($!)
PID[haproxy]=$!
nginx -c "$work/nginx.conf" -g 'daemon off;' &
pids+=($!)
PID[nginx]=$!

wait_port $O
rules_on() { [ "$1" != nginx ] && { [ "$1" != baseline ] || [ -n "${RULES_BASELINE:-}" ]; }; }
for p in $PROXIES; do
	wait_port "${HTTP[$p]}"
	wait_port "${TCP[$p]}"
	if rules_on "$p"; then wait_port "${RULES[$p]}"; fi
	[ "$p" = baseline ] && [ -z "${H2_BASELINE:-}" ] || { wait_port "${TLSEC[$p]}" && wait_port "${TLSRSA[$p]}" && wait_port "${H2C[$p]}"; }
	[ -z "${COMP[$p]:-}" ] || wait_port "${COMP[$p]}"
	[ -z "${H2B[$p]:-}" ] || wait_port "${H2B[$p]}"
done

# Process tree of a proxy: the master and its workers.
tree() { echo "$1" $(pgrep -P "$1" || true); }
cpu_ticks() { # sum of utime+stime over a proxy's processes
	local t=0
	for p in $(tree "$1"); do
		[ -r /proc/$p/stat ] && t=$((t + $(awk '{print $14 + $15}' /proc/$p/stat)))
	done
	echo $t
}
rss_kb() {
	local t=0
	for p in $(tree "$1"); do
		[ -r /proc/$p/status ] && t=$((t + $(awk '/^VmRSS/ {print $2}' /proc/$p/status)))
	done
	echo $t
}
hz=$(getconf CLK_TCK)

cat >"$work/upload.lua" <<'LUA'
wrk.method = "POST"
wrk.body = string.rep("u", 1048576)
wrk.headers["Content-Type"] = "application/octet-stream"
LUA

results="$work/results"
: >"$results"
record() { echo "$*" >>"$results"; } # case proxy metric value

run_wrk() { # case proxy
	local c=$1 p=$2 port=${HTTP[$2]} args=() path=/ scheme=http
	case $c in
	close) args=(-H "Connection: close") ;;
	64k) path=/64k ;;
	upload) args=(-s "$work/upload.lua") ;;
	rules)
		rules_on "$p" || return 0 # no such configuration
		port=${RULES[$p]} path="/products/42?ref=home"
		args=(-H "User-Agent: Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0" -H "Accept: text/html,application/xhtml+xml"
			-H "Cookie: theme=dark" -H "X-Debug: 1")
		;;
	tls-ka) scheme=https port=${TLSEC[$p]} ;;
	tls-64k) scheme=https port=${TLSEC[$p]} path=/64k ;;
	comp)
		[ -n "${COMP[$p]:-}" ] || return 0 # no such configuration
		port=${COMP[$p]} path=/64k.txt args=(-H "Accept-Encoding: gzip")
		;;
	esac
	local t0 t1 out
	t0=$(cpu_ticks "${PID[$p]}")
	out=$(wrk -t1 -c"$CONNS" -d"$DURATION" --latency "${args[@]}" "$scheme://127.0.0.1:$port$path")
	t1=$(cpu_ticks "${PID[$p]}")
	local rps reqs p50 p99 errs
	rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
	reqs=$(awk '/requests in/ {print $1}' <<<"$out")
	p50=$(awk '$1=="50%" {print $2}' <<<"$out")
	p99=$(awk '$1=="99%" {print $2}' <<<"$out")
	errs=$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out" | tr '\n' ' ')
	[ -n "$errs" ] && echo "bench: $c $p: $errs" >&2
	record "$c $p rps $rps"
	record "$c $p p50 $(to_ms "$p50")"
	record "$c $p p99 $(to_ms "$p99")"
	record "$c $p cpu $(awk -v d=$((t1 - t0)) -v hz="$hz" -v n="$reqs" 'BEGIN {printf "%.2f", d / hz / n * 100000}')"
	[ "$c" != comp ] || record "$c $p bytes $(curl -s "${args[@]}" "$scheme://127.0.0.1:$port$path" | wc -c)"
}
to_ms() { # wrk latency (us, ms, s) to milliseconds
	awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.3f", n }'
}

run_h2load() { # case proxy: h2load, H2_CONNS connections of H2_STREAMS streams
	local c=$1 p=$2 url="http://127.0.0.1:${H2C[$2]}/" t0 t1 out
	case $c in
	h2-tls) url="https://127.0.0.1:${TLSEC[$p]}/" ;;
	h2-64k) url="http://127.0.0.1:${H2C[$p]}/64k" ;;
	h2-backend) url="http://127.0.0.1:${H2B[$p]}/" ;;
	esac
	t0=$(cpu_ticks "${PID[$p]}")
	out=$(h2load -c"$H2_CONNS" -m"$H2_STREAMS" -D"${DURATION%s}" "$url")
	t1=$(cpu_ticks "${PID[$p]}")
	local rps done fails mean max
	rps=$(awk '/^finished in/ {print $4}' <<<"$out")
	done=$(awk '/^requests:/ {print $8}' <<<"$out")
	fails=$(awk '/^requests:/ {print $10 + $12}' <<<"$out")
	# "time for request:  min  max  mean  sd  +/- sd"
	max=$(awk '/^time for request:/ {print $5}' <<<"$out")
	mean=$(awk '/^time for request:/ {print $6}' <<<"$out")
	[ "${fails:-0}" != 0 ] && echo "bench: $c $p: $fails requests failed or errored" >&2
	record "$c $p rps $rps"
	record "$c $p mean $(to_ms "$mean")"
	record "$c $p max $(to_ms "$max")"
	record "$c $p cpu $(awk -v d=$((t1 - t0)) -v hz="$hz" -v n="$done" 'BEGIN {printf "%.2f", n ? d / hz / n * 100000 : 0}')"
}

run_idle() { # proxy [tls|h2|h2-tls]
	local p=$1 before after c=idle target=127.0.0.1:${HTTP[$1]} n=$IDLE flags=()
	case "${2:-}" in
	tls) c=tls-idle target=127.0.0.1:${TLSEC[$p]} n=$IDLE_TLS flags=(-tls) ;;
	h2) c=h2-idle target=127.0.0.1:${H2C[$p]} n=$IDLE_H2 flags=(-h2) ;;
	h2-tls) c=h2-idle-tls target=127.0.0.1:${TLSEC[$p]} n=$IDLE_H2 flags=(-tls -h2) ;;
	esac
	before=$(rss_kb "${PID[$p]}")
	coproc IDLE_CONNS { "$work/idleconns" -target "$target" -n "$n" "${flags[@]}"; }
	local line
	read -r line <&"${IDLE_CONNS[0]}"
	after=$(rss_kb "${PID[$p]}")
	local held=${line#ready }
	exec {IDLE_CONNS[1]}>&-
	wait "$IDLE_CONNS_PID" 2>/dev/null || true
	record "$c $p held $held"
	record "$c $p rss_per_conn_kb $(awk -v a="$after" -v b="$before" -v n="$held" 'BEGIN {printf "%.2f", (a - b) / n}')"
}

run_tlsload() { # case proxy: handshakes/s, full or resumed
	local c=$1 p=$2 t0 t1 out port=${TLSEC[$2]} flags=()
	case $c in
	tls-hs-rsa) port=${TLSRSA[$p]} ;;
	tls-resume) flags=(-resume) ;;
	esac
	t0=$(cpu_ticks "${PID[$p]}")
	out=$("$work/tlsload" -target "127.0.0.1:$port" -c 16 -d "$DURATION" "${flags[@]}")
	t1=$(cpu_ticks "${PID[$p]}")
	local rps hs res
	rps=$(sed -n 's/.*rps=\([0-9.]*\).*/\1/p' <<<"$out")
	hs=$(sed -n 's/.*handshakes=\([0-9]*\).*/\1/p' <<<"$out")
	res=$(sed -n 's/.*resumed=\([0-9]*\).*/\1/p' <<<"$out")
	record "$c $p rps $rps"
	record "$c $p resumed_pct $(awk -v r="$res" -v h="$hs" 'BEGIN {printf "%.1f", h ? 100 * r / h : 0}')"
	record "$c $p cpu $(awk -v d=$((t1 - t0)) -v hz="$hz" -v n="$hs" 'BEGIN {printf "%.2f", n ? d / hz / n * 100000 : 0}')"
}

run_tcp() { # proxy
	local p=$1 t0 t1 mbps
	t0=$(cpu_ticks "${PID[$p]}")
	mbps=$("$work/tcpbulk" -target "127.0.0.1:${TCP[$p]}" -d "$DURATION")
	t1=$(cpu_ticks "${PID[$p]}")
	record "tcp $p MBps $mbps"
}

# Even rounds run the proxies in reverse order, so that none always
# runs first, or right after the same other one (a position bias was
# seen in A/B runs on these hosts).
reversed=$(tr ' ' '\n' <<<"$PROXIES" | grep . | tac | tr '\n' ' ')
for round in $(seq "$ROUNDS"); do
	order=$PROXIES
	[ $((round % 2)) = 0 ] && order=$reversed
	for c in $CASES; do
		for p in $order; do
			[ "$p" = baseline ] && [[ $c == tls-* ]] && [ -z "${H2_BASELINE:-}" ] && continue
			case $c in
			# Idle memory is measured once, in round 1, while the
			# proxies' allocators are still fresh: later rounds mostly
			# measure memory reused from the first.
			idle) [ "$round" = 1 ] && run_idle "$p" ;;
			tls-idle) [ "$round" = 1 ] && run_idle "$p" tls ;;
			h2-idle) [ "$round" = 1 ] && { [ "$p" = baseline ] && [ -z "${H2_BASELINE:-}" ] || run_idle "$p" h2; } ;;
			h2-idle-tls) [ "$round" = 1 ] && { [ "$p" = baseline ] && [ -z "${H2_BASELINE:-}" ] || run_idle "$p" h2-tls; } ;;
			tcp) run_tcp "$p" ;;
			h2 | h2-tls | h2-64k) [ "$p" = baseline ] && [ -z "${H2_BASELINE:-}" ] || run_h2load "$c" "$p" ;;
			h2-backend) if [ -n "${H2B[$p]:-}" ]; then run_h2load "$c" "$p"; fi ;;
			tls-hs-ec | tls-hs-rsa | tls-resume) run_tlsload "$c" "$p" ;;
			*) run_wrk "$c" "$p" ;;
			esac
		done
	done
	echo "bench: round $round done" >&2
done

[ -n "${RAW:-}" ] && cp "$results" "$RAW" # case proxy metric value, one a round
val() { awk -v c="$1" -v p="$2" -v m="$3" '$1 == c && $2 == p && $3 == m {print $4}' "$results" | median; }

echo
echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo); wrk -t1 -c$CONNS -d$DURATION; $ROUNDS rounds, medians"
echo "$(haproxy -v | head -1 | cut -d' ' -f1-3); $(nginx -v 2>&1); baton $( (has baton && "$work/baton" -v 2>&1 | head -1) || echo "not run")"
echo
if has baseline; then
	echo "baseline: Baton $BASELINE_DESC"
	echo
	echo "| case | metric | baton | haproxy | nginx | baseline | baton/haproxy | baton/baseline |"
	echo "|---|---|---|---|---|---|---|---|"
else
	echo "| case | metric | baton | haproxy | nginx | baton/haproxy |"
	echo "|---|---|---|---|---|---|"
fi
for c in $CASES; do
	case $c in
	idle | tls-idle | h2-idle | h2-idle-tls) metrics="rss_per_conn_kb" ;;
	tcp) metrics="MBps" ;;
	tls-hs-ec | tls-hs-rsa | tls-resume) metrics="rps resumed_pct cpu" ;;
	h2 | h2-tls | h2-64k | h2-backend) metrics="rps mean max cpu" ;;
	comp) metrics="rps p50 p99 cpu bytes" ;;
	*) metrics="rps p50 p99 cpu" ;;
	esac
	for m in $metrics; do
		b=$(val "$c" baton "$m") h=$(val "$c" haproxy "$m") n=$(val "$c" nginx "$m")
		if has baseline; then
			a=$(val "$c" baseline "$m")
			echo "| $c | $m | $b | $h | $n | $a | $(ratio "$b" "$h") | $(ratio "$b" "$a") |"
		else
			echo "| $c | $m | $b | $h | $n | $(ratio "$b" "$h") |"
		fi
	done
done
echo
echo "rps: requests/s; p50/p99: latency in ms; cpu: proxy CPU seconds per 100k requests; bytes: the compressed body's size;"
echo "rss_per_conn_kb: resident memory per idle keep-alive connection ($IDLE held; tls-idle: $IDLE_TLS TLS ones; h2-idle, h2-idle-tls: $IDLE_H2 HTTP/2 ones); MBps: TCP bulk through the proxy."
echo "h2*: h2load -c$H2_CONNS -m$H2_STREAMS (mean/max: request latency in ms; h2load gives no percentiles)."
echo "tls-hs-*: full TLS handshakes/s (one per request; resumed_pct must be 0); tls-resume: handshakes/s with a session cache (resumed_pct of them resumed)."
