-- wrk script for every row of bench/run.sh. Its RESULT line has the fields of the Next.js anchor's
-- bench/wrk.lua, so the two benchmarks are read the same way.
--   WRK_METHOD    HTTP method (default GET)
--   WRK_BODY      request body; when set, Content-Type: application/json is sent
--   WRK_SEQ_FROM  when set, each request asks {the URL's path}{n}, n counting up from WRK_SEQ_FROM
--                 (each thread from its own billion): a number never asked before, every time
-- done() prints one machine-readable RESULT line (latencies in microseconds).
local method = os.getenv("WRK_METHOD")
if method and method ~= "" then wrk.method = method end
local body = os.getenv("WRK_BODY")
if body and body ~= "" then
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end

local seq_from = tonumber(os.getenv("WRK_SEQ_FROM") or "")
if seq_from then
  local threads = 0
  function setup(thread)
    thread:set("thread_index", threads)
    threads = threads + 1
  end

  local next_number
  function init(args)
    next_number = seq_from + thread_index * 1000000000
  end

  function request()
    local path = wrk.path .. string.format("%d", next_number)
    next_number = next_number + 1
    return wrk.format(nil, path)
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    "RESULT requests=%d secs=%.3f rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d mean_us=%.1f " ..
    "err_connect=%d err_read=%d err_write=%d err_timeout=%d err_status=%d\n",
    summary.requests, secs, summary.requests / secs,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean,
    e.connect, e.read, e.write, e.timeout, e.status))
end
