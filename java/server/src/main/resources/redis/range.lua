-- The events after a seq, to fill a gap in a node's stream. ARGV: P, after
-- -> {epoch, 'ok', kind, id, event, seq, ...} | {epoch, 'trimmed'} when the log no longer reaches back
local P, after = ARGV[1], tonumber(ARGV[2])
local epoch = tonumber(redis.call('HGET', P .. 'm', 'epoch') or '0')
local seq = tonumber(redis.call('HGET', P .. 'm', 'seq') or '-1')
local reply = {epoch, 'ok'}
if epoch == 0 or seq < after then
  return {epoch, 'trimmed'}
end
if seq == after then
  return reply
end
local entries = redis.call('XRANGE', P .. 'log', (after + 1) .. '-0', '+')
if #entries == 0 or entries[1][1] ~= (after + 1) .. '-1' then
  return {epoch, 'trimmed'}
end
for _, entry in ipairs(entries) do
  local f = {}
  local fields = entry[2]
  for i = 1, #fields, 2 do
    f[fields[i]] = fields[i + 1]
  end
  reply[#reply + 1] = f.k
  reply[#reply + 1] = f.i
  reply[#reply + 1] = f.e
  reply[#reply + 1] = string.sub(entry[1], 1, -3)
end
return reply
