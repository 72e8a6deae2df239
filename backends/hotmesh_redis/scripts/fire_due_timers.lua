-- fire_due_timers: append the messages of due timers and remove them.
--
-- KEYS[1]     timers zset            hmsh:{app}:t
-- KEYS[2]     timer payloads hash    hmsh:{app}:tp
-- KEYS[3..]   streams of the timers' topics, read by the caller beforehand
--
-- ARGV, read in order:
--   now_ms       the caller's clock, epoch ms
--   topics       count, then (topic, stream key index)
--   timer ids    every remaining argument
--
-- A timer fires only if it is still scheduled and due at now_ms, so two
-- callers racing over the same ids fire each timer once. A timer whose
-- topic has no declared stream (it was rescheduled to another topic after
-- the caller read it) is left for a later call. Returns how many fired.

--@include lib/reader.lua

local timers_key, payloads_key = KEYS[1], KEYS[2]
local now = tonumber(next_arg())
local streams = {}
for _ = 1, next_int() do
  local topic = next_arg()
  streams[topic] = next_key()
end

local fired = 0
while argv_index < #ARGV do
  local id = next_arg()
  local due = redis.call('ZSCORE', timers_key, id)
  if due and tonumber(due) <= now then
    local encoded = redis.call('HGET', payloads_key, id)
    if not encoded then
      redis.call('ZREM', timers_key, id)
    else
      local colon = string.find(encoded, ':', 1, true)
      local topic_length = tonumber(string.sub(encoded, 1, colon - 1))
      local topic = string.sub(encoded, colon + 1, colon + topic_length)
      local stream = streams[topic]
      if stream then
        redis.call('XADD', stream, '*', 'm', string.sub(encoded, colon + topic_length + 1))
        redis.call('ZREM', timers_key, id)
        redis.call('HDEL', payloads_key, id)
        fired = fired + 1
      end
    end
  end
end
return fired
