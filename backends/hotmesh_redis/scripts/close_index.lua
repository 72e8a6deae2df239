-- close_index: finish draining one stats index.
--
-- KEYS[1]  processed ids  hmsh:{app}:s:<bucket>:p:<facet>
-- KEYS[2]  index list     hmsh:{app}:s:<bucket>:i:<facet>
-- KEYS[3]  stats hash     hmsh:{app}:s:<bucket>
--
-- ARGV[1] '1' to scrub (delete the processed ids and the bucket's
-- counters), else '0' (move the processed ids back to the index, ahead of
-- ids indexed since). Returns the number of processed ids.

local count = redis.call('LLEN', KEYS[1])
if ARGV[1] == '1' then
  redis.call('DEL', KEYS[1], KEYS[3])
  return count
end
for _ = 1, count do
  redis.call('LMOVE', KEYS[1], KEYS[2], 'RIGHT', 'LEFT')
end
return count
