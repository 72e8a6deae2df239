-- own_pending: list the messages pending for one consumer, changing nothing.
--
-- KEYS[1]  stream                hmsh:{app}:x:<topic>
--
-- ARGV[1] group, ARGV[2] consumer, ARGV[3] max number of messages to return.
--
-- Returns a list of {message id, delivery count, payload}, oldest first.
-- Entries deleted from the stream are left out: a reclaim acknowledges them.

--@include lib/entries.lua

local stream, group, consumer = KEYS[1], ARGV[1], ARGV[2]
local pending = redis.call('XPENDING', stream, group, '-', '+', ARGV[3], consumer)

local result = {}
for _, entry in ipairs(pending) do
  local id, deliveries = entry[1], entry[4]
  local found = redis.call('XRANGE', stream, id, id)
  if found[1] then
    result[#result + 1] = {id, deliveries, payload_of(found[1][2])}
  end
end
return result
