-- extend_lease: reset the idle time of a leased message its owner still runs.
--
-- KEYS[1]  stream of the leased message    hmsh:{app}:x:<topic>
--
-- ARGV: lease, 5 arguments, see lib/lease.lua.
--
-- XCLAIM with JUSTID by the same consumer resets the idle time without
-- raising the delivery count, so the lease stays valid and a reclaimer
-- waiting for min_idle_ms leaves the message alone.
-- Returns 1 when extended, 0 when the lease was lost.

--@include lib/reader.lua
--@include lib/lease.lua

local lease = next_lease()
if not lease or not lease_held(lease) then
  return 0
end
redis.call('XCLAIM', lease.key, lease.group, lease.consumer, 0, lease.id, 'JUSTID')
return 1
