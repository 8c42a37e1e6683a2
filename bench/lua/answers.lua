-- GET /api/questions/{id}/answers over many question ids (BENCH_QUESTIONS of them).
package.path = package.path .. ";" .. (os.getenv("BENCH_LUA") or "bench/lua") .. "/?.lua"
local common = require("common")
local questions = tonumber(common.env("BENCH_QUESTIONS", "10000"))

function init() common.seed() end

function request()
  return wrk.format("GET", "/api/questions/" .. math.random(1, questions) .. "/answers")
end
