-- extend_lease: keep a leased message its owner still runs from being
-- reclaimed.
--
-- KEYS[1]  stream of the leased message    hmsh:{app}:x:<topic>
-- KEYS[2]  lease deadlines of the stream   hmsh:{app}:xl:<topic>
--
-- ARGV: lease, 6 arguments, see lib/lease.lua, then the lease's time to
-- live in ms (0 sets no deadline).
--
-- XCLAIM with JUSTID by the same consumer resets the idle time without
-- raising the delivery count, so the lease stays valid and a reclaimer
-- waiting for min_idle_ms leaves the message alone. A time to live also
-- stores a deadline, by the server's clock, before which reclaim.lua
-- leaves the message alone whatever its min idle time.
-- Returns 1 when extended, 0 when the lease was lost.

--@include lib/reader.lua
--@include lib/lease.lua

local lease = next_lease()
local ttl_ms = next_int()
if not lease or not lease_held(lease) then
  return 0
end
redis.call('XCLAIM', lease.key, lease.group, lease.consumer, 0, lease.id, 'JUSTID')
if ttl_ms > 0 then
  redis.call('HSET', lease.deadlines, lease.id, server_time_ms() + ttl_ms)
end
return 1
