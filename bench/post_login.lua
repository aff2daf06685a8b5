-- wrk script: POST /api/login as the benchmark users, round-robin.
--   wrk -t2 -c100 -d10s [--timeout 10s] -s bench/post_login.lua http://127.0.0.1:<port>/api/login
-- The users must exist (bench/src/login-bench.ts creates them): names <PREFIX><i> for i in [0, USERS),
-- all with one password. Environment: PARLEY_BENCH_USERS (default 1000), PARLEY_BENCH_PREFIX
-- (default "bench"), PARLEY_BENCH_PASSWORD (default "Bench-pass-2024").
-- The gate's login limits must be raised for this (gate.login_limit_per_ip): every request comes from 127.0.0.1.

local users = tonumber(os.getenv("PARLEY_BENCH_USERS") or "1000")
local prefix = os.getenv("PARLEY_BENCH_PREFIX") or "bench"
local password = os.getenv("PARLEY_BENCH_PASSWORD") or "Bench-pass-2024"

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

local threads = {}
local thread_count = 0

function setup(thread)
  thread:set("tid", thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end

function init(args)
  -- Each thread starts at a different user so the threads do not log in the same users in lockstep.
  counter = tid * 7919
  ok = 0
  failed = 0
  first_failure = ""
end

function request()
  counter = counter + 1
  local body = string.format('{"account":"%s%d","password":"%s"}', prefix, counter % users, password)
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  if status == 200 then
    ok = ok + 1
  else
    failed = failed + 1
    if first_failure == "" then first_failure = status .. " " .. string.sub(body or "", 1, 300) end
  end
end

function done(summary, latency, requests)
  local ok_total, failed_total, first = 0, 0, ""
  for _, thread in ipairs(threads) do
    ok_total = ok_total + thread:get("ok")
    failed_total = failed_total + thread:get("failed")
    if first == "" then first = thread:get("first_failure") or "" end
  end
  io.write(string.format("logins: %d ok, %d not 200\n", ok_total, failed_total))
  if first ~= "" then io.write("first answer not 200: " .. first .. "\n") end
  io.write(string.format("latency p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
