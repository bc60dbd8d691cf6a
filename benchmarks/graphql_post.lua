-- wrk script of benchmarks/wrkclient.py: every connection POSTs one GraphQL body with an API
-- key, back to back; an answer with another status than 200, `errors`, `"data":null` or a
-- non-empty `userErrors` is counted as a failure; the figures are printed as one JSON line.
--
--   WRK_BODY_FILE=body.json WRK_AUTHORIZATION="Bearer tsq_..." \
--     wrk -t1 -c16 -d10s --timeout 30s -s benchmarks/graphql_post.lua http://127.0.0.1:8000/graphql
--
-- The body and the key come from the environment (not the command line, which `ps` shows to
-- everyone), read at load time so that wrk formats the request once per thread.

local body_file = assert(io.open(assert(os.getenv("WRK_BODY_FILE"), "WRK_BODY_FILE"), "rb"))
wrk.method = "POST"
wrk.body = body_file:read("*a")
body_file:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = assert(os.getenv("WRK_AUTHORIZATION"), "WRK_AUTHORIZATION")

local threads = {}
failures = 0

function setup(thread)
  table.insert(threads, thread)
end

local function failed(status, body)
  return status ~= 200
    or body:find('"errors"', 1, true) ~= nil
    or body:find('"data":null', 1, true) ~= nil
    or body:find('"userErrors":[{', 1, true) ~= nil
end

function response(status, headers, body)
  if failed(status, body) then
    failures = failures + 1
  end
end

function done(summary, latency, requests)
  local failed_answers = 0
  for _, thread in ipairs(threads) do
    failed_answers = failed_answers + thread:get("failures")
  end
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %.6f, "failures": %d, "socket_errors": %d, '
      .. '"p50": %d, "p95": %d, "p99": %d}\n',
    summary.requests, summary.duration / 1e6, failed_answers,
    errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)
  ))
end
