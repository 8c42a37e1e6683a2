-- POST /api/courses/{BENCH_COURSE}/questions with a new user per request, so the per-user limit never answers 429.
package.path = package.path .. ";" .. (os.getenv("BENCH_LUA") or "bench/lua") .. "/?.lua"
local common = require("common")
local course = common.env("BENCH_COURSE", "1")
local n = 0

function init() common.seed() end

function request()
  n = n + 1
  local body = '{"text":"Benchmark question ' .. n .. ': what does the lecture mean by amortised cost?"}'
  return wrk.format("POST", "/api/courses/" .. course .. "/questions",
    { ["Content-Type"] = "application/json", ["X-User-Id"] = common.uuid() }, body)
end
