-- Shared by every Rollcall script (RedisStore puts it in front of each). A session's keys share
-- the prefix P = 'rc:{apiKey/sessionId}:':
--   P..'m'   hash   epoch, seq (last handed out), pe (the previous life's epoch)
--   P..'r'   hash   connection ID -> its connection object (JSON), what others see
--   P..'x'   hash   connection ID -> its record: node, rt (resume token hash), nonce, exp, sup
--   P..'t'   hash   token nonce -> live connections
--   P..'n'   hash   node -> its connections here; a node's set 'rc:n:<node>:s' lists the sessions
--                   where it has any, for the reaper (kept exact, so it never grows with time)
--   P..'log' stream one entry per event, ID '<seq>-1', fields k (kind), i (connection ID), e (event JSON)
--   P..'ch'  channel every event, and 'moved' notices, as '<epoch>\n<seq>\n<kind>\n<id>\n<payload>'
-- Kinds: 'c' created, 'd:<reason>' destroyed, 'm' moved to the node in the payload (no seq).

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- The session's epoch; a new life (first member, or the state was lost) gets a greater one.
local function ensure_epoch(P)
  local epoch = tonumber(redis.call('HGET', P .. 'm', 'epoch') or '0')
  if epoch == 0 then
    local previous = tonumber(redis.call('HGET', P .. 'm', 'pe') or '0')
    epoch = math.max(now_ms(), previous + 1)
    redis.call('HSET', P .. 'm', 'epoch', string.format('%d', epoch), 'seq', '-1')
    redis.call('PERSIST', P .. 'm')
  end
  return epoch
end

-- Takes the next seq, appends the event to the log and tells every subscribed node.
local function publish(P, epoch, kind, id, event_tail, log_max)
  local seq = redis.call('HINCRBY', P .. 'm', 'seq', 1)
  local event = '{"seq":' .. seq .. event_tail
  redis.call('XADD', P .. 'log', 'MAXLEN', '~', log_max, seq .. '-1', 'k', kind, 'i', id, 'e', event)
  redis.call('PUBLISH', P .. 'ch', string.format('%d', epoch) .. '\n' .. seq .. '\n' .. kind .. '\n' .. id .. '\n' .. event)
  return seq
end

-- Counts a connection in or out of a node, and keeps the node's set of sessions exact.
local function count_on_node(P, node, delta)
  local session = string.sub(P, 5, -3)
  if redis.call('HINCRBY', P .. 'n', node, delta) <= 0 then
    redis.call('HDEL', P .. 'n', node)
    redis.call('SREM', 'rc:n:' .. node .. ':s', session)
  else
    redis.call('SADD', 'rc:n:' .. node .. ':s', session)
  end
end

-- Ends a connection with a reason, if it is there and (when expect_node is given) still on that
-- node: a node can never end a connection that has moved on. Returns its record, or false.
local function leave(P, id, reason, expect_node, log_max)
  local raw = redis.call('HGET', P .. 'x', id)
  if not raw then
    return false
  end
  local record = cjson.decode(raw)
  if expect_node and record.node ~= expect_node then
    return false
  end
  local connection = redis.call('HGET', P .. 'r', id)
  redis.call('HDEL', P .. 'x', id)
  redis.call('HDEL', P .. 'r', id)
  if redis.call('HINCRBY', P .. 't', record.nonce, -1) <= 0 then
    redis.call('HDEL', P .. 't', record.nonce)
  end
  count_on_node(P, record.node, -1)
  local epoch = tonumber(redis.call('HGET', P .. 'm', 'epoch'))
  publish(P, epoch, 'd:' .. reason, id,
    ',"type":"connectionDestroyed","reason":"' .. reason .. '","connection":' .. connection .. '}', log_max)
  if redis.call('HLEN', P .. 'r') == 0 then
    -- The life of the session ends: the next member starts a new epoch, seq from 0.
    redis.call('HSET', P .. 'm', 'pe', string.format('%d', epoch), 'epoch', '0')
    redis.call('PEXPIRE', P .. 'm', 86400000)
    redis.call('DEL', P .. 'log', P .. 't', P .. 'n')
  end
  return record
end
