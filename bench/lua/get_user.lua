-- GET the path wrk was given, with an X-User-Id header (one of a fixed set of readers, so upvotedByMe is looked up).
package.path = package.path .. ";" .. (os.getenv("BENCH_LUA") or "bench/lua") .. "/?.lua"
local common = require("common")
local users = {}

function init()
  common.seed()
  for i = 1, 100 do users[i] = common.uuid() end
end

function request()
  return wrk.format("GET", nil, { ["X-User-Id"] = users[math.random(1, #users)] })
end
