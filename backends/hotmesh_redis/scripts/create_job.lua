-- create_job: reserve a job id and write the job's first state.
--
-- KEYS[1..5]  as in lib/job.lua (job hash, dependents list, timers zset,
--             timer payloads hash, signals hash)
-- KEYS[6..]   the leased message's stream and its lease deadlines hash,
--             streams receiving messages, dependents lists and job hashes
--             of dependent owners, stats hashes and stats index lists
--
-- ARGV, read in order:
--   interrupted_below        status below which no messages are sent
--   lease                    6 arguments, see lib/lease.lua
--   origin_field, origin     reserved field and the creating message's id
--   status                   initial status
--   fields                   count, then name/value pairs
--   messages, on_finish      count, then (stream key index, payload)
--   timers                   count, then 3 arguments each, see lib/timers.lua
--   dependents               count, then 3 arguments each, see lib/job.lua
--   expire_seconds           '' for none
--   publications             count, then channel/message pairs
--   stats                    count, then per bucket: stats hash key index,
--                            counters (count, then name/amount pairs) and
--                            index entries (count, then list key index and
--                            job id pairs)
--   claim                    4 arguments, see lib/reader.lua
--
-- Returns {0, status, claimed entry...} when created, {1} when the lease was lost,
-- {4, status} when the same origin already created the job (a replay) and
-- {5} when another origin did.

--@include lib/reader.lua
--@include lib/lease.lua
--@include lib/timers.lua
--@include lib/job.lua

local job_key = KEYS[1]
local interrupted_below = next_int()
local lease = next_lease()
local origin_field = next_arg()
local origin = next_arg()
local status = next_arg()
local fields = next_pairs()
local messages = next_messages()
local on_finish = next_messages()
local timers = next_timers()
local dependents = next_dependents()
local expire_seconds = next_arg()
local publications = next_pairs()
local stats = {}
for i = 1, next_int() do
  local hash = next_key()
  local counters = next_pairs()
  local entries = {}
  for j = 1, next_int() do
    local list_key = next_key()
    local job_id = next_arg()
    entries[j] = {list_key, job_id}
  end
  stats[i] = {hash, counters, entries}
end
local claim = next_claim()

local function record_stats()
  for _, bucket in ipairs(stats) do
    for _, counter in ipairs(bucket[2]) do
      redis.call('HINCRBYFLOAT', bucket[1], counter[1], counter[2])
    end
    for _, entry in ipairs(bucket[3]) do
      redis.call('RPUSH', entry[1], entry[2])
    end
  end
end

if lease and not lease_held(lease) then
  return {1}
end

if redis.call('EXISTS', job_key) == 1 then
  if origin ~= '' and redis.call('HGET', job_key, origin_field) == origin then
    if lease then
      release_lease(lease)
    end
    return {4, read_status(job_key)}
  end
  return {5}
end

fields[#fields + 1] = {STATUS, status}
if origin ~= '' then
  fields[#fields + 1] = {origin_field, origin}
end
write_fields(job_key, fields)

local status_number = tonumber(status)
if status_number >= interrupted_below then
  append_messages(messages)
  schedule_timers(KEYS[3], KEYS[4], timers, job_key)
  add_dependents(dependents)
end
if status_number <= 0 then
  append_messages(on_finish)
end
record_stats()
set_expiry(expire_seconds)
publish_all(publications)
if lease then
  release_lease(lease)
end
return add_claimed({0, status_number}, claim_messages(claim))
