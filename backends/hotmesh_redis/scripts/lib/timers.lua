-- Timer scheduling, shared by the scripts that schedule timers.
-- A timer is three arguments: timer id, due time in epoch ms, and the
-- encoded message "<topic byte length>:<topic><payload>".
local function next_timers()
  local list = {}
  for i = 1, next_int() do
    local id = next_arg()
    local due = next_arg()
    local encoded = next_arg()
    list[i] = {id, due, encoded}
  end
  return list
end

-- Prefix of the reserved job fields that record the timers a job
-- scheduled: the field name is the prefix followed by the timer id. Equal
-- to TIMER_FIELD_PREFIX in keys.py.
local TIMER_FIELD = ':timer:'

-- Scheduling an id that is already scheduled keeps one timer: the one due
-- later, with its message (the newer call wins a tie). When owner_key is
-- given, the job hash there records each id, so cancel_job_timers can find
-- them.
local function schedule_timers(timers_key, payloads_key, timers, owner_key)
  for _, timer in ipairs(timers) do
    local id, due, encoded = timer[1], timer[2], timer[3]
    local current = redis.call('ZSCORE', timers_key, id)
    if not current or tonumber(current) <= tonumber(due) then
      redis.call('ZADD', timers_key, due, id)
      redis.call('HSET', payloads_key, id, encoded)
    end
    if owner_key then
      redis.call('HSET', owner_key, TIMER_FIELD .. id, '1')
    end
  end
end

-- Remove every timer that the job hash records, with its message, and the
-- records. A timer that already fired is no longer scheduled, so removing
-- it again changes nothing.
local function cancel_job_timers(job_key, timers_key, payloads_key)
  local prefix_length = #TIMER_FIELD
  for _, name in ipairs(redis.call('HKEYS', job_key)) do
    if string.sub(name, 1, prefix_length) == TIMER_FIELD then
      local id = string.sub(name, prefix_length + 1)
      redis.call('ZREM', timers_key, id)
      redis.call('HDEL', payloads_key, id)
      redis.call('HDEL', job_key, name)
    end
  end
end
