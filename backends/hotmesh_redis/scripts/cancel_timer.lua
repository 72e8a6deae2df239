-- cancel_timer: remove a timer and its message.
--
-- KEYS[1]  timers zset            hmsh:{app}:t
-- KEYS[2]  timer payloads hash    hmsh:{app}:tp
--
-- ARGV[1] timer id. Returns 1 if the timer was scheduled, else 0.

local removed = redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return removed
