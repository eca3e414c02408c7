-- bench_admission.lua — wrk script of bench_admission.sh: POST /v1/admission/peer with the body file
-- $BENCH_BODY ({chain, nonce}) on every connection; counts replies other than 200 per thread and prints one
-- machine-readable line at the end:
--   BENCH requests=N non200=N errors=N seconds=S rps=R p50_us=U p99_us=U
local f = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
wrk.method = "POST"
wrk.path = "/v1/admission/peer"
wrk.body = f:read("*a")
wrk.headers["Content-Type"] = "application/json"
f:close()

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

non200 = 0
function response(status, headers, body)
  if status ~= 200 then
    non200 = non200 + 1
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do
    bad = bad + t:get("non200")
  end
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.timeout
  local seconds = summary.duration / 1e6
  io.write(string.format("BENCH requests=%d non200=%d errors=%d seconds=%.2f rps=%.0f p50_us=%d p99_us=%d\n",
    summary.requests, bad, errors, seconds, summary.requests / seconds,
    latency:percentile(50), latency:percentile(99)))
end
