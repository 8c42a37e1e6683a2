-- Shared by the wrk scripts: random ids and UUIDs, seeded per thread so threads do not repeat each other.
local common = {}

function common.seed()
  math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16) % 100000)
end

function common.uuid()
  local template = "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx"
  return (template:gsub("[xy]", function(c)
    local v = (c == "x") and math.random(0, 15) or math.random(8, 11)
    return string.format("%x", v)
  end))
end

function common.env(name, default)
  local value = os.getenv(name)
  if value == nil or value == "" then return default end
  return value
end

return common
