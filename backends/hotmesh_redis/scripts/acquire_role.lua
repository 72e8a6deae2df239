-- acquire_role: take a free role lease, or extend one the caller holds.
--
-- KEYS[1]  role lease    hmsh:{app}:role:<name>
--
-- ARGV[1] holder, ARGV[2] lease time in ms.
-- Returns 1 when the holder has the lease afterwards, else 0.

local current = redis.call('GET', KEYS[1])
if not current then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
if current == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
