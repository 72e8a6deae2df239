-- reclaim: take over messages left pending too long, dead-letter those
-- delivered too often.
--
-- KEYS[1]  stream                hmsh:{app}:x:<topic>
-- KEYS[2]  dead-letter stream    hmsh:{app}:dlq:<topic>
-- KEYS[3]  lease deadlines       hmsh:{app}:xl:<topic>
--
-- ARGV[1] group, ARGV[2] consumer taking over, ARGV[3] min idle time in ms,
-- ARGV[4] max deliveries, ARGV[5] max number of messages to return.
--
-- A message whose lease deadline (see extend_lease.lua) is still ahead of
-- the server's clock is left alone, however long it has been idle.
--
-- Returns a list of {kind, message id, consumer, delivery count, payload}
-- where kind is 'claimed' (now pending for ARGV[2]) or 'dead' (moved to
-- the dead-letter stream, acknowledged and deleted; consumer and count are
-- those of its last delivery).

--@include lib/reader.lua
--@include lib/lease.lua
--@include lib/entries.lua

local stream, dead_letters, deadlines = KEYS[1], KEYS[2], KEYS[3]
local group, consumer = ARGV[1], ARGV[2]
local min_idle, max_deliveries = ARGV[3], tonumber(ARGV[4])
local limit = tonumber(ARGV[5])
-- Messages under a live deadline are skipped, so inspect more entries than
-- the limit: held messages ahead in the list must not hide idle ones behind.
local window = limit * 10

local function delivery_count(id)
  local pending = redis.call('XPENDING', stream, group, id, id, 1)
  return tonumber(pending[1][4])
end

local now_ms = nil
local function deadline_ahead(id)
  local deadline = redis.call('HGET', deadlines, id)
  if not deadline then
    return false
  end
  now_ms = now_ms or server_time_ms()
  return tonumber(deadline) > now_ms
end

local pending
if tonumber(min_idle) > 0 then
  pending = redis.call('XPENDING', stream, group, 'IDLE', min_idle, '-', '+', window)
else
  -- IDLE 0 filters nothing on Redis and ValKey, but fakeredis 2.41 keeps
  -- only entries idle for more than n ms, so leave the option out.
  pending = redis.call('XPENDING', stream, group, '-', '+', window)
end

local result = {}
for _, entry in ipairs(pending) do
  if #result >= limit then
    break
  end
  local id, owner, deliveries = entry[1], entry[2], tonumber(entry[4])
  local found = redis.call('XRANGE', stream, id, id)
  if not found[1] then
    -- The entry was deleted without being acknowledged: forget it.
    redis.call('XACK', stream, group, id)
    redis.call('HDEL', deadlines, id)
  elseif deadline_ahead(id) then
    -- Its owner still extends the lease: leave it alone.
  elseif deliveries >= max_deliveries then
    local payload = payload_of(found[1][2])
    redis.call('XADD', dead_letters, '*', 'm', payload, 'id', id,
               'consumer', owner, 'deliveries', tostring(deliveries))
    redis.call('XACK', stream, group, id)
    redis.call('XDEL', stream, id)
    redis.call('HDEL', deadlines, id)
    result[#result + 1] = {'dead', id, owner, deliveries, payload}
  else
    local claimed = redis.call('XCLAIM', stream, group, consumer, min_idle, id)
    if claimed[1] then
      redis.call('HDEL', deadlines, id)
      result[#result + 1] = {'claimed', id, consumer, delivery_count(id),
                             payload_of(found[1][2])}
    end
  end
end
return result
