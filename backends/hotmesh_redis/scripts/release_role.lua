-- release_role: give up a role lease if the caller holds it.
--
-- KEYS[1]  role lease    hmsh:{app}:role:<name>
--
-- ARGV[1] holder. Returns 1 when the lease was released, else 0.

if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
