-- schedule_timers: schedule timers outside a step.
--
-- KEYS[1]  timers zset            hmsh:{app}:t
-- KEYS[2]  timer payloads hash    hmsh:{app}:tp
--
-- ARGV: count, then 3 arguments per timer, see lib/timers.lua.
-- Returns the number of timers passed.

--@include lib/reader.lua
--@include lib/timers.lua

local timers = next_timers()
schedule_timers(KEYS[1], KEYS[2], timers)
return #timers
