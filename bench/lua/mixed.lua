-- 90% reads (hot course list, answers of a random question, course list), 8% upvotes, 2% question posts.
package.path = package.path .. ";" .. (os.getenv("BENCH_LUA") or "bench/lua") .. "/?.lua"
local common = require("common")
local questions = tonumber(common.env("BENCH_QUESTIONS", "10000"))
local hot = common.env("BENCH_COURSE", "1")

function init() common.seed() end

function request()
  local roll = math.random(1, 100)
  if roll <= 45 then
    return wrk.format("GET", "/api/courses/" .. hot .. "/questions")
  elseif roll <= 80 then
    return wrk.format("GET", "/api/questions/" .. math.random(1, questions) .. "/answers")
  elseif roll <= 90 then
    return wrk.format("GET", "/api/courses")
  elseif roll <= 98 then
    return wrk.format("PUT", "/api/questions/" .. math.random(1, questions) .. "/upvote", { ["X-User-Id"] = common.uuid() })
  else
    return wrk.format("POST", "/api/courses/" .. math.random(1, 5) .. "/questions",
      { ["Content-Type"] = "application/json", ["X-User-Id"] = common.uuid() }, '{"text":"A mixed-load question"}')
  end
end
