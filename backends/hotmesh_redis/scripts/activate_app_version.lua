-- activate_app_version: make a deployed version the app's active version.
--
-- KEYS[1]  version document    hmsh:{app}:v:<version>
-- KEYS[2]  app profile         hmsh:{app}:profile
--
-- ARGV[1] version, ARGV[2] profile field of the version
-- ("versions/<version>"), ARGV[3] its value ("activated:<time>").
-- Returns 1, or 0 without writing when the version was never deployed.

if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
redis.call('HSET', KEYS[2], 'active_version', ARGV[1], ARGV[2], ARGV[3])
return 1
