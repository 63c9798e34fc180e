package stats

// Pos is a column's position in "show stat".
type Pos int

// The columns of "show stat" (HAProxy 2.6): 0..102 are the static ones
// whose positions tools rely on; a "-" column follows them in CSV, then
// the module columns (FSslSess onwards).
const (
	FPxname Pos = iota
	FSvname
	FQcur
	FQmax
	FScur
	FSmax
	FSlim
	FStot
	FBin
	FBout
	FDreq
	FDresp
	FEreq
	FEcon
	FEresp
	FWretr
	FWredis
	FStatus
	FWeight
	FAct
	FBck
	FChkfail
	FChkdown
	FLastchg
	FDowntime
	FQlimit
	FPid
	FIid
	FSid
	FThrottle
	FLbtot
	FTracked
	FType
	FRate
	FRateLim
	FRateMax
	FCheckStatus
	FCheckCode
	FCheckDuration
	FHrsp1xx
	FHrsp2xx
	FHrsp3xx
	FHrsp4xx
	FHrsp5xx
	FHrspOther
	FHanafail
	FReqRate
	FReqRateMax
	FReqTot
	FCliAbrt
	FSrvAbrt
	FCompIn
	FCompOut
	FCompByp
	FCompRsp
	FLastsess
	FLastChk
	FLastAgt
	FQtime
	FCtime
	FRtime
	FTtime
	FAgentStatus
	FAgentCode
	FAgentDuration
	FCheckDesc
	FAgentDesc
	FCheckRise
	FCheckFall
	FCheckHealth
	FAgentRise
	FAgentFall
	FAgentHealth
	FAddr
	FCookie
	FMode
	FAlgo
	FConnRate
	FConnRateMax
	FConnTot
	FIntercepted
	FDcon
	FDses
	FWrew
	FConnect
	FReuse
	FCacheLookups
	FCacheHits
	FSrvIcur
	FSrcIlim
	FQtimeMax
	FCtimeMax
	FRtimeMax
	FTtimeMax
	FEint
	FIdleConnCur
	FSafeConnCur
	FUsedConnCur
	FNeedConnEst
	FUweight
	FAggServerStatus
	FAggServerCheckStatus
	FAggCheckStatus
	FSslSess
	FSslReusedSess
	FSslFailedHandshake
	FH2HeadersRcvd
	FH2DataRcvd
	FH2SettingsRcvd
	FH2RstStreamRcvd
	FH2GoawayRcvd
	FH2DetectedConnProtocolErrors
	FH2DetectedStrmProtocolErrors
	FH2RstStreamResp
	FH2GoawayResp
	FH2OpenConnections
	FH2BackendOpenStreams
	FH2TotalConnections
	FH2BackendTotalStreams
	FH1OpenConnections
	FH1OpenStreams
	FH1TotalConnections
	FH1TotalStreams
	FH1BytesIn
	FH1BytesOut
	FH1SplicedBytesIn
	FH1SplicedBytesOut
	NumFields
)

// FirstModuleField is the first column after the "-" separator.
const FirstModuleField = FSslSess

// Field describes one column: its name, its description (also the
// Prometheus HELP text), and its tags per object type (Frontend,
// Backend, Server); "" means the type has no value there.
type Field struct {
	Name string
	Desc string
	Tags [3]Tags
}

// Fields are the columns, by Pos. The names, tags and descriptions are
// HAProxy 2.6's output (its interface), so that tools and dashboards
// written for it read Baton's.
var Fields = [NumFields]Field{
	{"pxname", "Proxy name", [3]Tags{"KNS:str", "KNS:str", "KNS:str"}},
	{"svname", "Server name", [3]Tags{"KNS:str", "KNS:str", "KNS:str"}},
	{"qcur", "Number of current queued connections", [3]Tags{"", "MGP:u32", "MGP:u32"}},
	{"qmax", "Highest value of queued connections encountered since process started", [3]Tags{"", "MMP:u32", "MMP:u32"}},
	{"scur", "Number of current sessions on the frontend, backend or server", [3]Tags{"MGP:u32", "MGP:u32", "MGP:u32"}},
	{"smax", "Highest value of current sessions encountered since process started", [3]Tags{"MMP:u32", "MMP:u32", "MMP:u32"}},
	{"slim", "Frontend/listener/server's maxconn, backend's fullconn", [3]Tags{"CLP:u32", "CLP:u32", "CLP:u32"}},
	{"stot", "Total number of sessions since process started", [3]Tags{"MCP:u64", "MCP:u64", "MCP:u64"}},
	{"bin", "Total number of request bytes since process started", [3]Tags{"MCP:u64", "MCP:u64", "MCP:u64"}},
	{"bout", "Total number of response bytes since process started", [3]Tags{"MCP:u64", "MCP:u64", "MCP:u64"}},
	{"dreq", "Total number of denied requests since process started", [3]Tags{"MCP:u64", "MCP:u64", ""}},
	{"dresp", "Total number of denied responses since process started", [3]Tags{"MCP:u64", "MCP:u64", "MCP:u64"}},
	{"ereq", "Total number of invalid requests since process started", [3]Tags{"MCP:u64", "", ""}},
	{"econ", "Total number of failed connections to server since the worker process started", [3]Tags{"", "MCP:u64", "MCP:u64"}},
	{"eresp", "Total number of invalid responses since the worker process started", [3]Tags{"", "MCP:u64", "MCP:u64"}},
	{"wretr", "Total number of server connection retries since the worker process started", [3]Tags{"", "MCP:u64", "MCP:u64"}},
	{"wredis", "Total number of server redispatches due to connection failures since the worker process started", [3]Tags{"", "MCP:u64", "MCP:u64"}},
	{"status", "Frontend/listen status: OPEN/WAITING/FULL/STOP; backend: UP/DOWN; server: last check status", [3]Tags{"SGP:str", "SGP:str", "SGP:str"}},
	{"weight", "Server's effective weight, or sum of active servers' effective weights for a backend", [3]Tags{"", "MaP:u32", "MaP:u32"}},
	{"act", "Total number of active UP servers with a non-zero weight", [3]Tags{"", "MGP:u32", "SGP:u32"}},
	{"bck", "Total number of backup UP servers with a non-zero weight", [3]Tags{"", "MGP:u32", "SGP:u32"}},
	{"chkfail", "Total number of failed individual health checks per server/backend, since the worker process started", [3]Tags{"", "", "MCP:u64"}},
	{"chkdown", "Total number of failed checks causing UP to DOWN server transitions, per server/backend, since the worker process started", [3]Tags{"", "MCP:u64", "MCP:u64"}},
	{"lastchg", "How long ago the last server state changed, in seconds", [3]Tags{"", "MAP:u32", "MAP:u32"}},
	{"downtime", "Total time spent in DOWN state, for server or backend", [3]Tags{"", "MCP:u32", "MCP:u32"}},
	{"qlimit", "Limit on the number of connections in queue, for servers only (maxqueue argument)", [3]Tags{"", "", "CGS:u32"}},
	{"pid", "Relative worker process number (1)", [3]Tags{"KGP:u32", "KGP:u32", "KGP:u32"}},
	{"iid", "Frontend or Backend numeric identifier ('id' setting)", [3]Tags{"KGS:u32", "KGS:u32", "KGS:u32"}},
	{"sid", "Server numeric identifier ('id' setting)", [3]Tags{"KGS:u32", "KGS:u32", "KGS:u32"}},
	{"throttle", "Throttling ratio applied to a server's maxconn and weight during the slowstart period (0 to 100%)", [3]Tags{"", "", "MGP:u32"}},
	{"lbtot", "Total number of requests routed by load balancing since the worker process started (ignores queue pop and stickiness)", [3]Tags{"", "MCP:u64", "MCP:u64"}},
	{"tracked", "Name of the other server this server tracks for its state", [3]Tags{"", "", "CNS:str"}},
	{"type", "Type of the object (Listener, Frontend, Backend, Server)", [3]Tags{"CGS:u32", "CGS:u32", "CGS:u32"}},
	{"rate", "Total number of sessions processed by this object over the last second (sessions for listeners/frontends, requests for backends/servers)", [3]Tags{"MRP:u32", "MGP:u32", "MRP:u32"}},
	{"rate_lim", "Limit on the number of sessions accepted in a second (frontend only, 'rate-limit sessions' setting)", [3]Tags{"CLP:u32", "", ""}},
	{"rate_max", "Highest value of sessions per second observed since the worker process started", [3]Tags{"MMP:u32", "MGP:u32", "MMP:u32"}},
	{"check_status", "Status report of the server's latest health check, prefixed with '*' if a check is currently in progress", [3]Tags{"", "", "MOP:str"}},
	{"check_code", "HTTP/SMTP/LDAP status code reported by the latest server health check", [3]Tags{"", "", "MOP:u32"}},
	{"check_duration", "Total duration of the latest server health check, in milliseconds", [3]Tags{"", "", "MDP:u64"}},
	{"hrsp_1xx", "Total number of HTTP responses with status 100-199 returned by this object since the worker process started", [3]Tags{"MCP:u64", "MCP:u64", "MCP:u64"}},
	{"hrsp_2xx", "Total number of HTTP responses with status 200-299 returned by this object since the worker process started", [3]Tags{"MCP:u64", "MCP:u64", "MCP:u64"}},
	{"hrsp_3xx", "Total number of HTTP responses with status 300-399 returned by this object since the worker process started", [3]Tags{"MCP:u64", "MCP:u64", "MCP:u64"}},
	{"hrsp_4xx", "Total number of HTTP responses with status 400-499 returned by this object since the worker process started", [3]Tags{"MCP:u64", "MCP:u64", "MCP:u64"}},
	{"hrsp_5xx", "Total number of HTTP responses with status 500-599 returned by this object since the worker process started", [3]Tags{"MCP:u64", "MCP:u64", "MCP:u64"}},
	{"hrsp_other", "Total number of HTTP responses with status <100, >599 returned by this object since the worker process started (error -1 included)", [3]Tags{"MCP:u64", "MCP:u64", "MCP:u64"}},
	{"hanafail", "Failed health check details", [3]Tags{"", "", "MCP:u64"}},
	{"req_rate", "Number of HTTP requests processed over the last second on this object", [3]Tags{"MRP:u32", "", ""}},
	{"req_rate_max", "Highest value of http requests observed since the worker process started", [3]Tags{"MMP:u32", "", ""}},
	{"req_tot", "Total number of HTTP requests processed by this object since the worker process started", [3]Tags{"MCP:u64", "MCP:u64", "MCP:u64"}},
	{"cli_abrt", "Total number of requests or connections aborted by the client since the worker process started", [3]Tags{"", "MCP:u64", "MCP:u64"}},
	{"srv_abrt", "Total number of requests or connections aborted by the server since the worker process started", [3]Tags{"", "MCP:u64", "MCP:u64"}},
	{"comp_in", "Total number of bytes submitted to the HTTP compressor for this object since the worker process started", [3]Tags{"MCP:u64", "MCP:u64", ""}},
	{"comp_out", "Total number of bytes emitted by the HTTP compressor for this object since the worker process started", [3]Tags{"MCP:u64", "MCP:u64", ""}},
	{"comp_byp", "Total number of bytes that bypassed HTTP compression for this object since the worker process started (CPU/memory/bandwidth limitation)", [3]Tags{"MCP:u64", "MCP:u64", ""}},
	{"comp_rsp", "Total number of HTTP responses that were compressed for this object since the worker process started", [3]Tags{"MCP:u64", "MCP:u64", ""}},
	{"lastsess", "How long ago some traffic was seen on this object on this worker process, in seconds", [3]Tags{"", "MAP:s32", "MAP:s32"}},
	{"last_chk", "Short description of the latest health check report for this server (see also check_desc)", [3]Tags{"", "", "MOP:str"}},
	{"last_agt", "Short description of the latest agent check report for this server", [3]Tags{"", "", "MOP:str"}},
	{"qtime", "Time spent in the queue, in milliseconds, averaged over the 1024 last requests (backend/server)", [3]Tags{"", "MaP:u32", "MaP:u32"}},
	{"ctime", "Time spent waiting for a connection to complete, in milliseconds, averaged over the 1024 last requests (backend/server)", [3]Tags{"", "MaP:u32", "MaP:u32"}},
	{"rtime", "Time spent waiting for a server response, in milliseconds, averaged over the 1024 last requests (backend/server)", [3]Tags{"", "MaP:u32", "MaP:u32"}},
	{"ttime", "Total request+response time (request+queue+connect+response+processing), in milliseconds, averaged over the 1024 last requests (backend/server)", [3]Tags{"", "MaP:u32", "MaP:u32"}},
	{"agent_status", "Status report of the agent's latest health check, one of the same status codes as \"check_status\"", [3]Tags{"", "", "MOP:str"}},
	{"agent_code", "Numeric code reported by the agent if any (unused for now)", [3]Tags{"", "", "MOP:u32"}},
	{"agent_duration", "Time in milliseconds taken by the latest agent check", [3]Tags{"", "", "MDP:u64"}},
	{"check_desc", "Textual description of the latest health check report for this server", [3]Tags{"", "", "MOP:str"}},
	{"agent_desc", "Textual description of the latest agent check report for this server", [3]Tags{"", "", "MOP:str"}},
	{"check_rise", "Number of successful health checks before declaring a server UP (server 'rise' setting)", [3]Tags{"", "", "CGS:u32"}},
	{"check_fall", "Number of failed health checks before declaring a server DOWN (server 'fall' setting)", [3]Tags{"", "", "CGS:u32"}},
	{"check_health", "Current server health check level (0..fall-1=DOWN, fall..rise-1=UP)", [3]Tags{"", "", "CGS:u32"}},
	{"agent_rise", "Number of successful agent checks before declaring a server UP", [3]Tags{"", "", "CGS:u32"}},
	{"agent_fall", "Number of failed agent checks before declaring a server DOWN", [3]Tags{"", "", "CGS:u32"}},
	{"agent_health", "Current server agent check level", [3]Tags{"", "", "CGS:u32"}},
	{"addr", "Server's address:port, shown only if show-legends is set, or at levels oper/admin for the CLI", [3]Tags{"", "", "CGS:str"}},
	{"cookie", "Backend's cookie name or Server's cookie value, shown only if show-legends is set, or at levels oper/admin for the CLI", [3]Tags{"", "CNS:str", "CNS:str"}},
	{"mode", "'mode' setting (tcp/http/health/cli)", [3]Tags{"CGS:str", "CGS:str", "CGS:str"}},
	{"algo", "Backend's load balancing algorithm, shown only if show-legends is set, or at levels oper/admin for the CLI", [3]Tags{"", "CGS:str", ""}},
	{"conn_rate", "Number of new connections accepted over the last second on the frontend for this worker process", [3]Tags{"MRP:u32", "", ""}},
	{"conn_rate_max", "Highest value of connections per second observed since the worker process started", [3]Tags{"MMP:u32", "", ""}},
	{"conn_tot", "Total number of new connections accepted on this frontend since the worker process started", [3]Tags{"MCP:u64", "", ""}},
	{"intercepted", "Total number of HTTP requests intercepted on the frontend (redirects/stats/services) since the worker process started", [3]Tags{"MCP:u64", "", ""}},
	{"dcon", "Total number of incoming connections blocked on a listener/frontend by a tcp-request connection rule since the worker process started", [3]Tags{"MCP:u64", "", ""}},
	{"dses", "Total number of incoming sessions blocked on a listener/frontend by a tcp-request connection rule since the worker process started", [3]Tags{"MCP:u64", "", ""}},
	{"wrew", "Total number of failed HTTP header rewrites since the worker process started", [3]Tags{"MCP:u64", "MCP:u64", "MCP:u64"}},
	{"connect", "Total number of outgoing connection attempts on this backend/server since the worker process started", [3]Tags{"", "MCP:u64", "MCP:u64"}},
	{"reuse", "Total number of reused connection on this backend/server since the worker process started", [3]Tags{"", "MCP:u64", "MCP:u64"}},
	{"cache_lookups", "Total number of HTTP requests looked up in the cache on this frontend/backend since the worker process started", [3]Tags{"MCP:u64", "MCP:u64", ""}},
	{"cache_hits", "Total number of HTTP requests not found in the cache on this frontend/backend since the worker process started", [3]Tags{"MCP:u64", "MCP:u64", ""}},
	{"srv_icur", "Current number of idle connections available for reuse on this server", [3]Tags{"", "", "MGP:u32"}},
	{"src_ilim", "Limit on the number of available idle connections on this server (server 'pool_max_conn' directive)", [3]Tags{"", "", "MGP:u32"}},
	{"qtime_max", "Maximum observed time spent in the queue, in milliseconds (backend/server)", [3]Tags{"", "MMP:u32", "MMP:u32"}},
	{"ctime_max", "Maximum observed time spent waiting for a connection to complete, in milliseconds (backend/server)", [3]Tags{"", "MMP:u32", "MMP:u32"}},
	{"rtime_max", "Maximum observed time spent waiting for a server response, in milliseconds (backend/server)", [3]Tags{"", "MMP:u32", "MMP:u32"}},
	{"ttime_max", "Maximum observed total request+response time (request+queue+connect+response+processing), in milliseconds (backend/server)", [3]Tags{"", "MMP:u32", "MMP:u32"}},
	{"eint", "Total number of internal errors since process started", [3]Tags{"MCP:u64", "MCP:u64", "MCP:u64"}},
	{"idle_conn_cur", "Current number of unsafe idle connections", [3]Tags{"", "", "MGP:u32"}},
	{"safe_conn_cur", "Current number of safe idle connections", [3]Tags{"", "", "MGP:u32"}},
	{"used_conn_cur", "Current number of connections in use", [3]Tags{"", "", "MGP:u32"}},
	{"need_conn_est", "Estimated needed number of connections", [3]Tags{"", "", "MGP:u32"}},
	{"uweight", "Server's user weight, or sum of active servers' user weights for a backend", [3]Tags{"", "MaP:u32", "MaP:u32"}},
	{"agg_server_status", "Backend's aggregated gauge of servers' status", [3]Tags{"", "MGP:u32", ""}},
	{"agg_server_check_status", "Backend's aggregated gauge of servers' state check status", [3]Tags{"", "MGP:u32", ""}},
	{"agg_check_status", "Backend's aggregated gauge of servers' state check status", [3]Tags{"", "MGP:u32", ""}},
	{"ssl_sess", "Total number of ssl sessions established", [3]Tags{"MCP:u64", "MCP:u64", "MCP:u64"}},
	{"ssl_reused_sess", "Total number of ssl sessions reused", [3]Tags{"MCP:u64", "MCP:u64", "MCP:u64"}},
	{"ssl_failed_handshake", "Total number of failed handshake", [3]Tags{"MCP:u64", "MCP:u64", "MCP:u64"}},
	{"h2_headers_rcvd", "Total number of received HEADERS frames", [3]Tags{"MCP:u64", "MCP:u64", ""}},
	{"h2_data_rcvd", "Total number of received DATA frames", [3]Tags{"MCP:u64", "MCP:u64", ""}},
	{"h2_settings_rcvd", "Total number of received SETTINGS frames", [3]Tags{"MCP:u64", "MCP:u64", ""}},
	{"h2_rst_stream_rcvd", "Total number of received RST_STREAM frames", [3]Tags{"MCP:u64", "MCP:u64", ""}},
	{"h2_goaway_rcvd", "Total number of received GOAWAY frames", [3]Tags{"MCP:u64", "MCP:u64", ""}},
	{"h2_detected_conn_protocol_errors", "Total number of connection protocol errors", [3]Tags{"MCP:u64", "MCP:u64", ""}},
	{"h2_detected_strm_protocol_errors", "Total number of stream protocol errors", [3]Tags{"MCP:u64", "MCP:u64", ""}},
	{"h2_rst_stream_resp", "Total number of RST_STREAM sent on detected error", [3]Tags{"MCP:u64", "MCP:u64", ""}},
	{"h2_goaway_resp", "Total number of GOAWAY sent on detected error", [3]Tags{"MCP:u64", "MCP:u64", ""}},
	{"h2_open_connections", "Count of currently open connections", [3]Tags{"MGP:u64", "MGP:u64", ""}},
	{"h2_backend_open_streams", "Count of currently open streams", [3]Tags{"MGP:u64", "MGP:u64", ""}},
	{"h2_total_connections", "Total number of connections", [3]Tags{"MCP:u64", "MCP:u64", ""}},
	{"h2_backend_total_streams", "Total number of streams", [3]Tags{"MCP:u64", "MCP:u64", ""}},
	{"h1_open_connections", "Count of currently open connections", [3]Tags{"MGP:u64", "MGP:u64", ""}},
	{"h1_open_streams", "Count of currently open streams", [3]Tags{"MGP:u64", "MGP:u64", ""}},
	{"h1_total_connections", "Total number of connections", [3]Tags{"MCP:u64", "MCP:u64", ""}},
	{"h1_total_streams", "Total number of streams", [3]Tags{"MCP:u64", "MCP:u64", ""}},
	{"h1_bytes_in", "Total number of bytes received", [3]Tags{"MCP:u64", "MCP:u64", ""}},
	{"h1_bytes_out", "Total number of bytes send", [3]Tags{"MCP:u64", "MCP:u64", ""}},
	{"h1_spliced_bytes_in", "Total number of bytes received using kernel splicing", [3]Tags{"MCP:u64", "MCP:u64", ""}},
	{"h1_spliced_bytes_out", "Total number of bytes sendusing kernel splicing", [3]Tags{"MCP:u64", "MCP:u64", ""}},
}
