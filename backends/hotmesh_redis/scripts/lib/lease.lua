-- Lease checks, shared by the scripts that acknowledge a stream message.
-- A lease is six arguments: stream key index, lease deadlines key index,
-- group, message id, consumer and delivery count. An empty group means the
-- call presents no lease.
local function next_lease()
  local key = next_key()
  local deadlines = next_key()
  local group = next_arg()
  local id = next_arg()
  local consumer = next_arg()
  local delivery = next_int()
  if group == '' then
    return nil
  end
  return {key = key, deadlines = deadlines, group = group, id = id,
          consumer = consumer, delivery = delivery}
end

-- The lease holds while the message is pending for the same consumer with
-- the same delivery count: a reclaim by another consumer changes the owner,
-- and a reclaim by the same consumer raises the count.
local function lease_held(lease)
  local pending = redis.pcall('XPENDING', lease.key, lease.group, lease.id, lease.id, 1)
  if type(pending) ~= 'table' or pending.err then
    return false
  end
  local entry = pending[1]
  return entry ~= nil and entry[2] == lease.consumer
    and tonumber(entry[4]) == lease.delivery
end

local function release_lease(lease)
  redis.call('XACK', lease.key, lease.group, lease.id)
  redis.call('XDEL', lease.key, lease.id)
  redis.call('HDEL', lease.deadlines, lease.id)
end

-- The server's clock in epoch milliseconds. Lease deadlines are set and
-- compared by this one clock, so the consumers' clocks never matter.
-- (Multiplying by 0.001 may round down by 1 ms, which no deadline minds.)
local function server_time_ms()
  local time = redis.call('TIME')
  return tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) * 0.001)
end
