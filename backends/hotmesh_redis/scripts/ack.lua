-- ack: acknowledge a leased message and append messages, atomically.
--
-- KEYS[1]     stream of the leased message    hmsh:{app}:x:<topic>
-- KEYS[2]     lease deadlines of the stream   hmsh:{app}:xl:<topic>
-- KEYS[3..]   streams receiving messages      hmsh:{app}:x:<topic>
--
-- ARGV, read in order:
--   lease       6 arguments, see lib/lease.lua
--   messages    count, then (stream key index, payload)
--   claim       4 arguments, see lib/reader.lua
--
-- Returns {1, claimed entry...} when acknowledged, {0} when the lease was
-- lost (nothing written).

--@include lib/reader.lua
--@include lib/lease.lua

local lease = next_lease()
local messages = next_messages()
local claim = next_claim()

if not lease or not lease_held(lease) then
  return {0}
end
append_messages(messages)
release_lease(lease)
return add_claimed({1}, claim_messages(claim))
