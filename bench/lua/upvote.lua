-- PUT /api/questions/{random}/upvote as a random user.
package.path = package.path .. ";" .. (os.getenv("BENCH_LUA") or "bench/lua") .. "/?.lua"
local common = require("common")
local questions = tonumber(common.env("BENCH_QUESTIONS", "10000"))

function init() common.seed() end

function request()
  return wrk.format("PUT", "/api/questions/" .. math.random(1, questions) .. "/upvote", { ["X-User-Id"] = common.uuid() })
end
