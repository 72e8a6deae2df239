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

-- Scheduling an id that is already scheduled keeps one timer: the one due
-- later, with its message (the newer call wins a tie).
local function schedule_timers(timers_key, payloads_key, timers)
  for _, timer in ipairs(timers) do
    local id, due, encoded = timer[1], timer[2], timer[3]
    local current = redis.call('ZSCORE', timers_key, id)
    if not current or tonumber(current) <= tonumber(due) then
      redis.call('ZADD', timers_key, due, id)
      redis.call('HSET', payloads_key, id, encoded)
    end
  end
end
