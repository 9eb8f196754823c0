-- Every node runs this every lease/4: it renews its own lease and reaps dead nodes. A node whose
-- lease expired is marked dead; grace later, each of its connections still on it ends with
-- networkDisconnected (a connection that resumed elsewhere has moved and is left alone).
-- ARGV: node, lease ms, grace ms, log_max -> {instance, connections reaped}
local node, lease_ms, grace_ms, log_max = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
redis.call('SET', 'rc:lease:' .. node, '1', 'PX', lease_ms)
redis.call('SADD', 'rc:nodes', node)
-- Alive again after a stall: a mark from then must not shorten the grace of a later death.
redis.call('DEL', 'rc:dead:' .. node)
-- A Redis that lost its data (a restart without persistence) gets a new instance name: nodes
-- that see it change know their sessions' state is gone.
local instance = redis.call('GET', 'rc:instance')
if not instance then
  instance = node .. '@' .. string.format('%d', now_ms())
  redis.call('SET', 'rc:instance', instance)
end
local reaped = 0
local now = now_ms()
for _, other in ipairs(redis.call('SMEMBERS', 'rc:nodes')) do
  if other ~= node and redis.call('EXISTS', 'rc:lease:' .. other) == 0 then
    local since = redis.call('GET', 'rc:dead:' .. other)
    if not since then
      redis.call('SET', 'rc:dead:' .. other, string.format('%d', now), 'PX', string.format('%d', grace_ms + 600000))
    elseif now - tonumber(since) >= grace_ms then
      for _, session in ipairs(redis.call('SMEMBERS', 'rc:n:' .. other .. ':s')) do
        local P = 'rc:{' .. session .. '}:'
        local records = redis.call('HGETALL', P .. 'x')
        for f = 1, #records, 2 do
          if cjson.decode(records[f + 1]).node == other and leave(P, records[f], 'networkDisconnected', other, log_max) then
            reaped = reaped + 1
          end
        end
      end
      redis.call('DEL', 'rc:n:' .. other .. ':s', 'rc:dead:' .. other)
      redis.call('SREM', 'rc:nodes', other)
    end
  end
end
return {instance, reaped}
