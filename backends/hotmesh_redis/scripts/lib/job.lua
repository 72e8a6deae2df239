-- Job writes shared by create_job.lua and commit_step.lua. Both scripts
-- declare the same first five keys:
--   KEYS[1]  job hash             hmsh:{app}:j:<job_id>
--   KEYS[2]  job dependents list  hmsh:{app}:d:<job_id>
--   KEYS[3]  timers zset          hmsh:{app}:t
--   KEYS[4]  timer payloads hash  hmsh:{app}:tp
--   KEYS[5]  signals hash         hmsh:{app}:sig
local STATUS = ':'

local function is_integer(value)
  return #value <= 18 and string.match(value, '^%-?%d+$') ~= nil
end

local function read_status(job_key)
  local value = redis.call('HGET', job_key, STATUS)
  if not value or not is_integer(value) then
    return 0
  end
  return tonumber(value)
end

-- Maximum name/value pairs sent in one HSET, well below the Lua stack
-- limit that spreading a table into arguments runs into.
local HSET_BATCH = 200

-- Write name/value pairs to a hash, many per HSET call.
local function write_pairs(key, pairs)
  local batch = {}
  for index, pair in ipairs(pairs) do
    batch[#batch + 1] = pair[1]
    batch[#batch + 1] = pair[2]
    if index % HSET_BATCH == 0 then
      redis.call('HSET', key, spread(batch))
      batch = {}
    end
  end
  if #batch > 0 then
    redis.call('HSET', key, spread(batch))
  end
end

local function write_fields(job_key, fields)
  write_pairs(job_key, fields)
end

-- Return the status stored as text, read the way read_status reads it.
local function status_of(value)
  if not value or not is_integer(value) then
    return 0
  end
  return tonumber(value)
end

-- Dependents: a count, then (list key index, owner job key index, entry).
local function next_dependents()
  local list = {}
  for i = 1, next_int() do
    local list_key = next_key()
    local owner_key = next_key()
    local entry = next_arg()
    list[i] = {list_key, owner_key, entry}
  end
  return list
end

-- An entry added to the list of an owner whose job hash already expires
-- gets the same expiry, so the list never outlives the job.
local function add_dependents(dependents)
  for _, dependent in ipairs(dependents) do
    local list_key, owner_key = dependent[1], dependent[2]
    redis.call('RPUSH', list_key, dependent[3])
    local ttl = redis.call('PTTL', owner_key)
    if ttl > 0 then
      redis.call('PEXPIRE', list_key, ttl)
    end
  end
end

local function register_signals(signals)
  write_pairs(KEYS[5], signals)
end

-- An empty argument leaves expiry alone; 0 removes it; n expires the job
-- hash and its dependents list after n seconds.
local function set_expiry(seconds)
  if seconds == '' then
    return
  end
  for _, key in ipairs({KEYS[1], KEYS[2]}) do
    if tonumber(seconds) == 0 then
      redis.call('PERSIST', key)
    else
      redis.call('EXPIRE', key, seconds)
    end
  end
end

local function publish_all(publications)
  for _, pair in ipairs(publications) do
    redis.call('PUBLISH', pair[1], pair[2])
  end
end
