-- Sequential reader over ARGV, shared by every script that includes it.
-- Arguments that name a key carry the key's 1-based index in KEYS, so a
-- script only touches keys declared in KEYS (Redis Cluster and Dragonfly
-- both require that). Index 0 means "no key".
--
-- Lua leaves the evaluation order of table constructor fields and call
-- arguments unspecified, so each reader call is a statement of its own.
local argv_index = 0

local function next_arg()
  argv_index = argv_index + 1
  return ARGV[argv_index]
end

local function next_int()
  return tonumber(next_arg())
end

local function next_key()
  return KEYS[tonumber(next_arg())]
end

-- Read a count followed by that many pairs of arguments.
local function next_pairs()
  local list = {}
  for i = 1, next_int() do
    local first = next_arg()
    local second = next_arg()
    list[i] = {first, second}
  end
  return list
end

-- Read a count followed by that many single arguments.
local function next_list()
  local list = {}
  for i = 1, next_int() do
    list[i] = next_arg()
  end
  return list
end

-- Read a count followed by that many (key index, payload) messages.
local function next_messages()
  local list = {}
  for i = 1, next_int() do
    local key = next_key()
    local payload = next_arg()
    list[i] = {key, payload}
  end
  return list
end

local function append_messages(messages)
  for _, message in ipairs(messages) do
    redis.call('XADD', message[1], '*', 'm', message[2])
  end
end
