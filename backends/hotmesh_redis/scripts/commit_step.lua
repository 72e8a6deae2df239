-- commit_step: apply one step to a job, all or nothing.
--
-- KEYS[1..5]  as in lib/job.lua (job hash, dependents list, timers zset,
--             timer payloads hash, signals hash)
-- KEYS[6..]   the leased message's stream and its lease deadlines hash,
--             streams receiving messages, dependents lists and job hashes
--             of dependent owners
--
-- ARGV, read in order:
--   interrupted_below        status below which no messages are sent
--   lease                    6 arguments, see lib/lease.lua
--   guards                   count, then (field, kind, value, on_fail)
--   increments               count, then field/amount pairs
--   status_delta
--   fields                   count, then name/value pairs
--   delete_fields            count, then names
--   messages, on_finish      count, then (stream key index, payload)
--   timers                   count, then 3 arguments each, see lib/timers.lua
--   cancel_timers            1 to remove the job's timers first, else 0
--   signals                  count, then key/registration pairs
--   dependents               count, then 3 arguments each, see lib/job.lua
--   expire_seconds           '' for none
--   drop_signals             count, then keys
--   publications             count, then channel/message pairs
--   claim                    4 arguments, see lib/reader.lua
--
-- Returns {0, status, counter..., claimed entry...} when applied, {1} when the lease was
-- lost, {2, status, guard index from 0} when a guard failed, and
-- {3, field} when an increment targets a field that is not an integer.
-- Every check runs before the first write, so a refused step writes
-- nothing (except the acknowledgement of a guard failing with "drop").

--@include lib/reader.lua
--@include lib/lease.lua
--@include lib/timers.lua
--@include lib/job.lua

local job_key = KEYS[1]
local interrupted_below = next_int()
local lease = next_lease()
local guards = {}
for i = 1, next_int() do
  local field = next_arg()
  local kind = next_arg()
  local value = next_arg()
  local on_fail = next_arg()
  guards[i] = {field = field, kind = kind, value = value, on_fail = on_fail}
end
local increments = next_pairs()
local status_delta = next_int()
local fields = next_pairs()
local delete_fields = next_list()
local messages = next_messages()
local on_finish = next_messages()
local timers = next_timers()
local cancel_timers = next_int() == 1
local signals = next_pairs()
local dependents = next_dependents()
local expire_seconds = next_arg()
local drop_signals = next_list()
local publications = next_pairs()
local claim = next_claim()

-- Every field the checks below read, fetched with one HMGET before any
-- write: the status, the guards' fields and the increments' targets.
local stored = {}
local function read_checked_fields()
  local names = {STATUS}
  for _, guard in ipairs(guards) do
    names[#names + 1] = guard.field
  end
  for _, pair in ipairs(increments) do
    names[#names + 1] = pair[1]
  end
  local values = redis.call('HMGET', job_key, spread(names))
  for index, name in ipairs(names) do
    stored[name] = values[index]
  end
end

local function guard_passes(guard)
  local value = stored[guard.field]
  if guard.kind == 'exists' then
    return value ~= false
  elseif guard.kind == 'absent' then
    return value == false
  elseif not value then
    return false
  elseif guard.kind == 'equals' then
    return value == guard.value
  elseif guard.kind == 'prefix' then
    return string.sub(value, 1, #guard.value) == guard.value
  elseif guard.kind == 'greater' then
    return is_integer(value) and tonumber(value) > tonumber(guard.value)
  end
  return false
end

-- Return the first field that an increment (or the status delta) would
-- find holding something other than an integer, after this step's own
-- field writes and deletions.
local function first_non_integer_target()
  local pending = {}
  for _, pair in ipairs(fields) do
    pending[pair[1]] = pair[2]
  end
  for _, name in ipairs(delete_fields) do
    pending[name] = false
  end
  local targets = {}
  for _, pair in ipairs(increments) do
    targets[#targets + 1] = pair[1]
  end
  if status_delta ~= 0 then
    targets[#targets + 1] = STATUS
  end
  for _, name in ipairs(targets) do
    local value = pending[name]
    if value == nil then
      value = stored[name]
    end
    if value and not is_integer(value) then
      return name
    end
  end
  return nil
end

if lease and not lease_held(lease) then
  return {1}
end

read_checked_fields()
local status_at_start = status_of(stored[STATUS])
for index, guard in ipairs(guards) do
  if not guard_passes(guard) then
    if guard.on_fail == 'drop' and lease then
      release_lease(lease)
    end
    return {2, status_at_start, index - 1}
  end
end

local bad_field = first_non_integer_target()
if bad_field then
  return {3, bad_field}
end

write_fields(job_key, fields)
local status_touched = false
for _, pair in ipairs(fields) do
  status_touched = status_touched or pair[1] == STATUS
end
for _, name in ipairs(delete_fields) do
  redis.call('HDEL', job_key, name)
  status_touched = status_touched or name == STATUS
end
local result = {0, 0}
for _, pair in ipairs(increments) do
  result[#result + 1] = redis.call('HINCRBY', job_key, pair[1], pair[2])
  status_touched = status_touched or pair[1] == STATUS
end

-- The status after this step's writes, read again only when they changed it.
local status_before = status_at_start
if status_touched then
  status_before = read_status(job_key)
end
local status = status_before
if status_delta ~= 0 then
  status = redis.call('HINCRBY', job_key, STATUS, status_delta)
end
result[2] = status

if cancel_timers then
  cancel_job_timers(job_key, KEYS[3], KEYS[4])
end
if status >= interrupted_below then
  append_messages(messages)
  schedule_timers(KEYS[3], KEYS[4], timers, job_key)
  register_signals(signals)
  add_dependents(dependents)
end
if status <= 0 and status_before > 0 then
  append_messages(on_finish)
end
set_expiry(expire_seconds)
for _, key in ipairs(drop_signals) do
  redis.call('HDEL', KEYS[5], key)
end
publish_all(publications)
if lease then
  release_lease(lease)
end
return add_claimed(result, claim_messages(claim))
