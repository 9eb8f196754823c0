-- A force-disconnect from any node: tombstones for the connection and its token's nonce until
-- the token expires, then the event. ARGV: P, log_max, id -> {1} | {0}
local P, id = ARGV[1], ARGV[3]
local raw = redis.call('HGET', P .. 'x', id)
if not raw then
  return {0}
end
local record = cjson.decode(raw)
local ttl = math.max(tonumber(record.exp) - now_ms(), 1000)
redis.call('SET', 'rc:tomb:c:' .. id, '1', 'PX', string.format('%d', ttl))
redis.call('SET', 'rc:tomb:n:' .. record.nonce, '1', 'PX', string.format('%d', ttl))
leave(P, id, 'forceDisconnected', nil, ARGV[2])
return {1}
