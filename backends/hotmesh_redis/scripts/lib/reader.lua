-- Sequential reader over ARGV, shared by every script that includes it.
-- Arguments that name a key carry the key's 1-based index in KEYS, so a
-- script only touches keys declared in KEYS (Redis Cluster and Dragonfly
-- both require that). Index 0 means "no key".
--
-- Lua leaves the evaluation order of table constructor fields and call
-- arguments unspecified, so each reader call is a statement of its own.
local argv_index = 0

-- Lua 5.1, which Redis and ValKey embed, has unpack; later versions have
-- table.unpack.
local spread = table.unpack or unpack

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

-- Messages appended by this script, counted by stream key.
local appended = {}

local function append_messages(messages)
  for _, message in ipairs(messages) do
    redis.call('XADD', message[1], '*', 'm', message[2])
    appended[message[1]] = (appended[message[1]] or 0) + 1
  end
end

-- A claim is four arguments: stream key index (0 for none), group,
-- consumer and the most messages to take.
local function next_claim()
  local key = next_key()
  local group = next_arg()
  local consumer = next_arg()
  local count = next_int()
  if not key then
    return nil
  end
  return {key = key, group = group, consumer = consumer, count = count}
end

-- Read new messages of the claimed stream for the claiming consumer, at
-- most as many as this script appended to it, so the consumer processes
-- them without waiting for its next read. Returns the entries as
-- XREADGROUP does ({id, {field, value, ...}}); none when the group is
-- missing, which leaves the messages to the stream's readers.
local function claim_messages(claim)
  if not claim then
    return {}
  end
  local count = math.min(claim.count, appended[claim.key] or 0)
  if count <= 0 then
    return {}
  end
  local reply = redis.pcall('XREADGROUP', 'GROUP', claim.group, claim.consumer,
    'COUNT', count, 'STREAMS', claim.key, '>')
  if type(reply) ~= 'table' or reply.err then
    return {}
  end
  -- A server replies {{stream, entries}}; fakeredis replies {stream, entries}.
  local entries = reply[2]
  if type(reply[1]) == 'table' then
    entries = reply[1][2]
  end
  if type(entries) ~= 'table' then
    return {}
  end
  return entries
end

-- Append claimed entries to a script's reply.
local function add_claimed(result, claimed)
  for _, entry in ipairs(claimed) do
    result[#result + 1] = entry
  end
  return result
end
