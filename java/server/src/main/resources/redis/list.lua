-- ARGV: P -> {epoch, seq, connections...}
local P = ARGV[1]
local reply = {tonumber(redis.call('HGET', P .. 'm', 'epoch') or '0'), tonumber(redis.call('HGET', P .. 'm', 'seq') or '0')}
for _, connection in ipairs(redis.call('HVALS', P .. 'r')) do
  reply[#reply + 1] = connection
end
return reply
