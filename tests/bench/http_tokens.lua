-- tests/bench/http_tokens.lua -- a wrk(1) script for tests/bench/bench-http.sh:
-- each request is METHOD <PREFIX><token> with the next token of a file,
-- every token sent once, over wrk's persistent connections; a thread that
-- has had every one of its tokens answered stops, so a run is a fixed
-- number of requests, not a duration.
--
--   wrk -t T -c C -d BOUND -s http_tokens.lua URL -- TOKENS METHOD PREFIX T DONE_DIR
--
-- TOKENS: lines "token TAB ..." (only the first field is read); thread I
-- (0 .. T-1) takes lines I+1, I+1+T, ...  METHOD POST sends the RFC 8058
-- body List-Unsubscribe=One-Click (urlencoded); an answer counts as OK
-- when it is 200 and its body starts with "unsubscribed" (what
-- http/http_unsub.c answers).  METHOD GET: OK when 200.  A thread that is
-- done writes DONE_DIR/done.I: the script waits for all of them and
-- interrupts wrk (wrk itself always sleeps out -d).
--
-- done() prints one line:
--   requests=N ok=N bad=N secs=S rate=R p50=Xms p99=Xms p99.9=Xms
--   errors=connect/read/write/timeout
-- and when bad > 0 a second one: "bad answers: STATUS xN, ..."
-- where secs runs from the first request sent to the last answer read
-- (CLOCK_MONOTONIC through LuaJIT's ffi, all threads), rate = ok / secs.

local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } pwb_timespec;
int clock_gettime(int clk, pwb_timespec *ts);
]]
local ts = ffi.new("pwb_timespec")
local function now()
   ffi.C.clock_gettime(1, ts)	-- CLOCK_MONOTONIC
   return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) / 1e9
end

-- The main state: one entry per thread, for done().
local threads = {}

function setup(thread)
   thread:set("id", #threads)
   table.insert(threads, thread)
end

-- Thread states from here to done(); sent, ok, bad, t0 and t1 are
-- globals, which done() reads with thread:get().
local reqs = {}
sent, ok, bad = 0, 0, 0
t0, t1 = 0, 0
codes = ""		-- "STATUS:N " of the bad answers, for done()
local bad_by = {}
local post, verified, done_file

function init(args)
   local file, method, prefix, nthreads = args[1], args[2], args[3],
      tonumber(args[4])
   done_file = args[5] .. "/done." .. id
   post = method == "POST"
   local host = wrk.headers["Host"]
   local tail
   if post then
      tail = " HTTP/1.1\r\nHost: " .. host ..
	 "\r\nContent-Type: application/x-www-form-urlencoded" ..
	 "\r\nContent-Length: 26\r\n\r\nList-Unsubscribe=One-Click"
   else
      tail = " HTTP/1.1\r\nHost: " .. host .. "\r\n\r\n"
   end
   local n = 0
   for line in io.lines(file) do
      if n % nthreads == id then
	 local tok = line:match("^[^\t]+")
	 reqs[#reqs + 1] = method .. " " .. prefix .. tok .. tail
      end
      n = n + 1
   end
   -- wrk calls request() once in thread 0's state before the run, to
   -- count the requests of a pipeline: that one is never sent.
   verified = id ~= 0
end

function request()
   if not verified then
      verified = true
      return reqs[1]
   end
   if sent >= #reqs then
      return ""		-- nothing left: the connection stays idle
   end
   if sent == 0 then
      t0 = now()
   end
   sent = sent + 1
   return reqs[sent]
end

function response(status, headers, body)
   if status == 200 and (not post or body:sub(1, 12) == "unsubscribed") then
      ok = ok + 1
   else
      bad = bad + 1
      bad_by[status] = (bad_by[status] or 0) + 1
   end
   if ok + bad == #reqs then
      t1 = now()
      for st, k in pairs(bad_by) do
	 codes = codes .. st .. ":" .. k .. " "
      end
      local f = io.open(done_file, "w")
      if f then
	 f:close()
      end
      wrk.thread:stop()
   end
end

function done(summary, latency, requests)
   local n, o, b, first, last = 0, 0, 0, nil, nil
   local by = {}
   for _, t in ipairs(threads) do
      for st, k in string.gmatch(t:get("codes"), "(%d+):(%d+)") do
	 by[st] = (by[st] or 0) + tonumber(k)
      end
      n = n + t:get("sent")
      o = o + t:get("ok")
      b = b + t:get("bad")
      local a, z = t:get("t0"), t:get("t1")
      if a > 0 and (not first or a < first) then first = a end
      if z > 0 and (not last or z > last) then last = z end
   end
   local secs = (first and last and last > first) and last - first or 0
   local e = summary.errors
   io.write(string.format(
      "requests=%d ok=%d bad=%d secs=%.3f rate=%d p50=%.2fms p99=%.2fms p99.9=%.2fms errors=%d/%d/%d/%d\n",
      n, o, b, secs, secs > 0 and math.floor(o / secs) or 0,
      latency:percentile(50) / 1000, latency:percentile(99) / 1000,
      latency:percentile(99.9) / 1000,
      e.connect, e.read, e.write, e.timeout))
   local list = {}
   for st, k in pairs(by) do
      list[#list + 1] = st .. " x" .. k
   end
   if #list > 0 then
      table.sort(list)
      io.write("bad answers: " .. table.concat(list, ", ") .. "\n")
   end
end
