-- save_app_version: store a version's document and list it as deployed.
--
-- KEYS[1]  version document    hmsh:{app}:v:<version>
-- KEYS[2]  app profile         hmsh:{app}:profile
--
-- ARGV[1] document, ARGV[2] profile field of the version
-- ("versions/<version>"), ARGV[3] its value ("deployed:<time>").
-- Returns 1.

redis.call('SET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
return 1
