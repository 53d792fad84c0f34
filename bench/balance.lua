-- wrk script for mvapi's balance entry (and the ceiling, which ignores the
-- credentials): each request asks for the credit of a random user of
-- bench00001..bench10000 with its clear-text password.
--
--   BENCH_KEY=benchkey123 wrk -t2 -c32 -d10s -s bench/balance.lua http://127.0.0.1:PORT
--
-- BENCH_KEY is the api key (tb_globalconfig apiv2key), BENCH_USERS the
-- number of seeded users (default 10000). Answers that are not 2xx or whose
-- body does not start with "Your credit" are counted as bad; done prints
-- one machine-readable line for bench/http.sh:
--
--   BENCH requests=N rps=R lat_avg_us=A lat_p50_us=P lat_p99_us=Q bad=B errors=E

local key = os.getenv("BENCH_KEY") or ""
-- BENCH_ENTRY=apitest1 asks apitest1 instead (no auth, no SQL: the
-- ceiling of the same binary) and expects "OK:".
local entry = os.getenv("BENCH_ENTRY") or "balance"
local want = os.getenv("BENCH_WANT") or (entry == "apitest1" and "OK:" or "Your credit")
-- BENCH_PATHS names a file of request paths, one a line (bench/seed
-- -paths writes it, e.g. authmd5 requests with fresh salts); each thread
-- cycles through it from its own offset.
local pathsFile = os.getenv("BENCH_PATHS")
local paths, npaths, at = nil, 0, 0
local users = tonumber(os.getenv("BENCH_USERS") or "10000")

local threads = {}
local nthreads = 0

function setup(thread)
   nthreads = nthreads + 1
   thread:set("tid", nthreads)
   table.insert(threads, thread)
end

bad = 0
local prefix

function init(args)
   -- tid is set by setup before init runs in the thread's own Lua state.
   math.randomseed(os.time() * 1000 + (tid or 0) * 7919)
   -- the first values after seeding are poorly mixed on some Luas
   math.random(); math.random(); math.random()
   prefix = "/mvapireq/?apientry=balance&authkey=" .. key .. "&authid="
   if pathsFile then
      paths = {}
      for line in io.lines(pathsFile) do
         npaths = npaths + 1
         paths[npaths] = line
      end
      at = math.random(1, npaths)
   end
end

function request()
   if paths then
      at = at % npaths + 1
      return wrk.format("GET", paths[at])
   end
   if entry == "apitest1" then
      return wrk.format("GET", "/mvapireq/?apientry=apitest1")
   end
   local u = string.format("bench%05d", math.random(1, users))
   return wrk.format("GET", prefix .. u .. "&authpwd=pw" .. u)
end

function response(status, headers, body)
   if status < 200 or status > 299 or string.sub(body, 1, #want) ~= want then
      bad = bad + 1
      if bad <= 3 then
         io.stderr:write(string.format("bad answer: HTTP %d: %s\n", status, string.sub(body, 1, 120)))
      end
   end
end

function done(summary, latency, requests)
   local nbad = 0
   for _, t in ipairs(threads) do
      nbad = nbad + (tonumber(t:get("bad")) or 0)
   end
   local e = summary.errors
   local errors = e.connect + e.read + e.write + e.status + e.timeout
   io.write(string.format("bad answers (non-2xx or not \"%s...\"): %d\n", want, nbad))
   io.write(string.format("BENCH requests=%d rps=%.2f lat_avg_us=%.1f lat_p50_us=%d lat_p99_us=%d bad=%d errors=%d\n",
      summary.requests, summary.requests / (summary.duration / 1e6), latency.mean,
      latency:percentile(50), latency:percentile(99), nbad, errors))
end
