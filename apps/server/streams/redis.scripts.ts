/**
 * Server-side scripts of the Redis backend. Each touches only the keys of one channel, all
 * hash-tagged with the channel name (`gs:{name}:…`), so each runs atomically on one node of a
 * Redis Cluster too. Offsets are the stream entry IDs (`<offset>-0`), so reading "after offset
 * N" is a plain XRANGE.
 *
 * Keys: 1 stream, 2 offset counter, 3 epoch (4 dedup key of the publisher id, append only).
 * A missing epoch means the channel is new, expired or its data was lost: a fresh epoch is set
 * and the stream and counter are dropped with it, so offsets never restart under an old epoch.
 */
const EPOCH = `
local function channel_epoch(fresh, ttl)
  local epoch = redis.call('GET', KEYS[3])
  if epoch then return epoch end
  redis.call('DEL', KEYS[1], KEYS[2])
  if ttl > 0 then redis.call('SET', KEYS[3], fresh, 'PX', ttl) else redis.call('SET', KEYS[3], fresh) end
  return fresh
end
`;

/**
 * ARGV: 1 publisher id, 2 payload JSON, 3 history size, 4 history TTL ms (0: none),
 * 5 dedup TTL ms, 6 fresh epoch, 7 live pub/sub channel. Returns {epoch, offset, duplicate 0|1}.
 */
export const APPEND_SCRIPT = `${EPOCH}
local earlier = redis.call('GET', KEYS[4])
if earlier then
  local space = string.find(earlier, ' ', 1, true)
  return {string.sub(earlier, space + 1), tonumber(string.sub(earlier, 1, space - 1)), 1}
end
local ttl = tonumber(ARGV[4])
local epoch = channel_epoch(ARGV[6], ttl)
local offset = redis.call('INCR', KEYS[2])
redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[3], offset .. '-0', 'id', ARGV[1], 'payload', ARGV[2])
redis.call('SET', KEYS[4], offset .. ' ' .. epoch, 'PX', ARGV[5])
if ttl > 0 then
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('PEXPIRE', KEYS[2], ttl)
  redis.call('PEXPIRE', KEYS[3], ttl)
end
redis.call('PUBLISH', ARGV[7], '{"epoch":' .. cjson.encode(epoch) .. ',"offset":' .. offset ..
  ',"id":' .. cjson.encode(ARGV[1]) .. ',"payload":' .. ARGV[2] .. '}')
return {epoch, offset, 0}
`;

/** ARGV: 1 fresh epoch, 2 history TTL ms. Returns {epoch, top}. */
export const POSITION_SCRIPT = `${EPOCH}
local epoch = channel_epoch(ARGV[1], tonumber(ARGV[2]))
return {epoch, tonumber(redis.call('GET', KEYS[2]) or '0')}
`;

/** ARGV: 1 first offset wanted, 2 count. Returns {epoch or '', entries}. */
export const READ_SCRIPT = `
local epoch = redis.call('GET', KEYS[3]) or ''
return {epoch, redis.call('XRANGE', KEYS[1], ARGV[1] .. '-0', '+', 'COUNT', ARGV[2])}
`;
