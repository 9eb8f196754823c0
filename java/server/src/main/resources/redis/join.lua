-- ARGV: P, log_max, id, connection JSON, nonce, token expiry ms, suppress (0/1), node,
--       resume token hash, max per session, max per token
-- -> {'ok', epoch, seq, roster connections...} | {'revoked'} | {'session-full'} | {'token-full'}
local P, log_max, id, connection, nonce = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
if redis.call('EXISTS', 'rc:tomb:n:' .. nonce) == 1 then
  return {'revoked'}
end
if redis.call('HLEN', P .. 'r') >= tonumber(ARGV[10]) then
  return {'session-full'}
end
if tonumber(redis.call('HGET', P .. 't', nonce) or '0') >= tonumber(ARGV[11]) then
  return {'token-full'}
end
local epoch = ensure_epoch(P)
redis.call('HINCRBY', P .. 't', nonce, 1)
local seq = publish(P, epoch, 'c', id, ',"type":"connectionCreated","connection":' .. connection .. '}', log_max)
local reply = {'ok', epoch, seq}
for _, other in ipairs(redis.call('HVALS', P .. 'r')) do
  reply[#reply + 1] = other
end
redis.call('HSET', P .. 'r', id, connection)
redis.call('HSET', P .. 'x', id, cjson.encode({node = ARGV[8], rt = ARGV[9], nonce = nonce, exp = ARGV[6], sup = ARGV[7]}))
count_on_node(P, ARGV[8], 1)
return reply
