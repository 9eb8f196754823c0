-- Moves a connection to this node (no event; a 'moved' notice, '<generation> <node>', tells the
-- node it leaves: each resume counts a generation, so a late notice cannot undo a newer move).
-- ARGV: P, id, presented resume token hash, new resume token hash, node, client epoch, lastSeq
--       (-1: none)
-- -> {'replay', epoch, seq, connection, record, events after lastSeq...}
--  | {'snapshot', epoch, seq, connection, record, roster connections but its own...}
--  | {'removed'} | {'unknown'}
local P, id = ARGV[1], ARGV[2]
if redis.call('EXISTS', 'rc:tomb:c:' .. id) == 1 then
  return {'removed'}
end
local raw = redis.call('HGET', P .. 'x', id)
if not raw then
  return {'unknown'}
end
local record = cjson.decode(raw)
if record.rt ~= ARGV[3] then
  return {'unknown'}
end
local previous = record.node
record.node = ARGV[5]
record.rt = ARGV[4]
record.gen = (tonumber(record.gen) or 0) + 1
raw = cjson.encode(record)
redis.call('HSET', P .. 'x', id, raw)
local epoch = tonumber(redis.call('HGET', P .. 'm', 'epoch'))
local seq = tonumber(redis.call('HGET', P .. 'm', 'seq'))
if previous ~= ARGV[5] then
  count_on_node(P, previous, -1)
  count_on_node(P, ARGV[5], 1)
  redis.call('PUBLISH', P .. 'ch', string.format('%d', epoch) .. '\n-1\nm\n' .. id .. '\n' .. record.gen .. ' ' .. ARGV[5])
end
local connection = redis.call('HGET', P .. 'r', id)
local last = tonumber(ARGV[7])
if tonumber(ARGV[6]) == epoch and last >= -1 and last <= seq then
  local reply = {'replay', epoch, seq, connection, raw}
  if last == seq then
    return reply
  end
  local entries = redis.call('XRANGE', P .. 'log', (last + 1) .. '-0', '+')
  if #entries > 0 and entries[1][1] == (last + 1) .. '-1' then
    for _, entry in ipairs(entries) do
      local fields = entry[2]
      for f = 1, #fields, 2 do
        if fields[f] == 'e' then
          reply[#reply + 1] = fields[f + 1]
        end
      end
    end
    return reply
  end
end
local reply = {'snapshot', epoch, seq, connection, raw}
local all = redis.call('HGETALL', P .. 'r')
for f = 1, #all, 2 do
  if all[f] ~= id then
    reply[#reply + 1] = all[f + 1]
  end
end
return reply
