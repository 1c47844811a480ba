// Package state owns everything ccm keeps in Redis: failure records and
// their status changes, the audit stream, metrics, polling cursors and
// dedup markers, the analysis cache, runtime settings, and retention. No
// other package talks to Redis directly (asynq keeps its own "asynq:" keys
// on the same server).
//
// # Key layout
//
// Every key starts with the prefix (default "ccm:"). The layout is a
// contract operators script against; it only grows.
//
//	ccm:failure:<id>            hash    one failure: json (the FailureRecord as JSON, the truth),
//	                                    status, category (of its analysis), repo,
//	                                    detected_at (RFC3339Nano), rev (compare-and-set revision)
//	ccm:failures                zset    failure IDs scored by detection time (unix ms)
//	ccm:failures:repo:<repo>    zset    the same, one per repository
//	ccm:processed               zset    every failure ID ever ingested (dedup marker), by detection ms
//	ccm:cursors                 hash    repo -> last run time seen by the poller (RFC3339, UTC, fixed width)
//	ccm:cache:analysis:<key>    string  AnalysisResult JSON for a cache key (ccm uses "<repo>:<fingerprint>"), with a TTL
//	ccm:cache:compare:<repo>:<base>...<head>
//	                            list    the files GitHub listed for a comparison, for an hour (CacheCompare)
//	ccm:runs:<repo>:<workflow id>:<event>:<branch>
//	                            zset    the run index: "<run id, 20 digits> <head sha>" by creation time (unix s),
//	                                    newest 50, expiring a day after the last webhook delivery (NoteRuns)
//	ccm:lease:<name>            string  a lease token with a TTL (Lease), e.g. one analysis per cache key
//	ccm:count:<name>            string  a counter with a window (Count), e.g. re-enqueues of one task per day
//	ccm:metrics:<id>            hash    one failure's metrics, one field per MetricsRecord JSON name
//	ccm:metrics                 zset    failure IDs with metrics, by first-recorded time (unix ms)
//	ccm:settings                hash    runtime settings set from Slack; they win over the config file
//	ccm:approval:<request id>   hash    one approval request (Approval), actions and reasons as JSON fields
//	ccm:approval:failure:<id>   string  the failure's latest approval request ID (at most one pending per failure)
//	ccm:approvals:pending       zset    pending request IDs by expires_at (unix ms)
//	ccm:approvals               zset    every request ID by requested_at (unix ms), for retention
//	ccm:incident:<fingerprint>  hash    the fingerprint's incident: fingerprint, status (open|closed), opened_at,
//	                                    repos, runs (when it opened), last_ms, closed_at, close_reason;
//	                                    expires 7 days after it closes
//	ccm:incident:<fp>:runs      zset    failure IDs of the fingerprint by occurrence time (unix ms), trimmed to
//	                                    the incident window, expiring after two idle windows
//	ccm:incident:<fp>:repos     zset    repositories of the fingerprint by latest occurrence (unix ms), the same
//	ccm:incident:<fp>:paused    set     failure IDs the gate held back while the incident was open (re-gated on close)
//	ccm:incidents:open          zset    fingerprints of open incidents by latest occurrence (unix ms)
//	ccm:scorecard:<repo>        hash    the repository's tally of judged shadow decisions (Scorecard): judged,
//	                                    decision:<auto|approval|none>, outcome:<outcome>, would_have_fixed,
//	                                    touched_code, resolved, resolved_ms; a running total that retention keeps
//	ccm:scorecards              set     repositories with a scorecard
//	ccm:history:<repo>|<fp>     zset    the fingerprint's failures in the repository, "<id>\n<attempt>\n<commit>\n<branch>"
//	                                    by detection ms, written with the record; kept 8 days, at most 200 (History)
//	ccm:history:<repo>|<fp>:passed zset its failures that passed afterwards, "<id>\n<verified|rerun_passed|passed_later>"
//	                                    by when ccm learnt it (ms), written with that change; the same bounds
//	ccm:incidents:regate        hash    paused failures whose ccm:regate is not enqueued yet -> "<fp>\n<opened_at>"
//	ccm:slack:msg:<failure id>  hash    the failure's Slack messages: kind -> channel, ts, content hash
//	ccm:slack:thread:<ch>|<fp>  hash    the fingerprint's open thread in a channel (+ :runs, :repos sets)
//	ccm:slack:page:<ch>|<k>|<s> hash    one critical page per window (+ :events set)
//	ccm:slack:mark:<name>       string  a deadline: auth-pause, auth-alert, rate-limit, post:<channel>
//	ccm:slack:followups         hash    answers @ccm analyze still owes (+ :due zset by deadline)
//	ccm:audit                   stream  the audit trail (below)
//	ccm:audit:last-id           string  the last audit entry ID ccm assigned
//	ccm:audit:max-lag-ms        string  how far an audit entry's ID may run ahead of its ts: "<older> <current> <gen-id>"
//
// A failure ID is "owner/repo#run_id.attempt", e.g. "acme/api#123456.1".
//
// # Audit stream
//
// Every entry of ccm:audit carries all of these fields, empty when unset:
// ts (RFC3339Nano, UTC), action_type, actor, failure_id, repo, category,
// request_id, outcome, details (a JSON object, "{}" when empty), error.
// Action types: detection, analysis, validation, approval, remediation,
// config, error, alert, retention, recovery. Outcomes: success, failure,
// pending.
//
//	redis-cli XREVRANGE ccm:audit + - COUNT 20
//
// Entry IDs are assigned by ccm from ts: an entry's ID is never earlier
// than its ts, and equals it (to the ms) whenever entries are written in
// time order, so an ID range is a time range. An entry older than the
// newest one (replicas' clocks apart, a caller-supplied time) gets the
// newest ID's ms with the next sequence number; ccm:audit:max-lag-ms
// bounds every such gap still in the stream, and time queries and
// retention widen their ID range by it, then filter on ts. It is kept in
// two generations (the larger one counts) so that it comes down again once
// retention or the cap has removed the entries that raised it; a plain
// number from an older ccm is read as the older generation. The stream is
// capped near Options.AuditMaxLen (XADD MAXLEN ~) and trimmed by retention.
//
// # Why a hash with a JSON field
//
// A record is stored as encoding/json produces it and read back the same
// way, so it round-trips exactly (int64 run IDs, nanosecond times, nil
// versus empty). Lua scripts never decode or re-encode it: cjson would
// round large integers and turn empty arrays into objects. The few fields a
// script or filter needs (status, rev, repo, category, detected_at) sit
// beside the JSON in the same hash, written by the same script, so they
// cannot disagree with it. Transition reads the record, applies the
// caller's change in Go, and writes it back with a Lua compare-and-set on
// rev and status together with the audit entry, retrying when only an
// in-place update raced with it.
//
// # Atomicity and deployment
//
// Every change that touches several keys is one Lua script whose comment
// lists its KEYS and ARGV; a state change and its audit entry are written
// in the same script, so neither exists without the other. Scripts receive
// all their keys in KEYS; on Redis Cluster they must share a slot, so use a
// hash-tagged prefix such as "{ccm}:" (and build the ClusterClient yourself
// and pass it to New). Redis must run with maxmemory-policy noeviction, or
// it may silently drop records, audit entries and queued tasks; Open
// refuses any other policy. It needs Redis 6.2 or later (XTRIM MINID,
// exclusive stream ranges); the same suite passes on Redis 7.0 and on the
// embedded miniredis used when REDIS_URL is unset.
package state
