/**
 * Server-side scripts of the Redis backend (key schema: `@app/contract`'s `redisKeys`). Each
 * touches only the keys of one channel, all hash-tagged with the channel name, so each runs
 * atomically on one node of a Redis Cluster too. Offsets are the stream entry IDs
 * (`<offset>-0`), so reading "after offset N" is a plain XRANGE.
 *
 * Keys: 1 stream, 2 meta hash; then, per script, the dedup key and the live pub/sub channel.
 *
 * Every script that looks at a channel's epoch first runs `channel_state`, which keeps rule I1
 * of the protocol ("under one epoch an offset names one entry, forever") through what Redis does
 * in production:
 * - no epoch (the channel is new, expired, or Redis lost its data): a fresh epoch, offsets from 1;
 * - the master that last wrote the channel is not this one (a failover promoted a replica that may
 *   lack the last writes, or the keys moved to another shard), or this master's replication
 *   offset went back since (it restarted from an older file): a new epoch that continues the old
 *   one. Entries up to the counter as this master has it are the same entries in both epochs (a
 *   replica holds a prefix of its master's writes), so the new epoch's lineage records
 *   "<old epoch> <that offset>": a subscriber at or below it loses nothing, one above it is told.
 *   The new master hands out offsets after that only under the new epoch, and what it holds is
 *   visible at once: a replica that was promoted held those entries, so they had reached a replica.
 */
const LINEAGE_DEPTH = 16;

const CHANNEL_STATE = `
-- How many earlier epochs a channel's lineage remembers: ${LINEAGE_DEPTH}.
local function master_identity()
  local info = redis.call('INFO', 'replication')
  return string.match(info, 'master_replid:(%x+)') or '', tonumber(string.match(info, 'master_repl_offset:(%d+)') or '0')
end
local RID, ROFF = master_identity()

local function expire_all(ttl)
  if ttl > 0 then
    redis.call('PEXPIRE', KEYS[1], ttl)
    redis.call('PEXPIRE', KEYS[2], ttl)
  end
end

local function channel_state(fresh, ttl)
  local m = redis.call('HMGET', KEYS[2], 'epoch', 'top', 'committed', 'rid', 'roff', 'lineage')
  if not m[1] then
    redis.call('DEL', KEYS[1], KEYS[2])
    redis.call('HSET', KEYS[2], 'epoch', fresh, 'top', 0, 'committed', 0, 'rid', RID, 'roff', ROFF, 'lineage', '')
    expire_all(ttl)
    return fresh, 0, 0, ''
  end
  local top, committed, lineage = tonumber(m[2]), tonumber(m[3]), m[6] or ''
  if m[4] == RID and tonumber(m[5]) <= ROFF then return m[1], top, committed, lineage end
  local kept, count = {m[1] .. ' ' .. top}, 1
  for link in string.gmatch(lineage, '[^;]+') do
    if count >= ${LINEAGE_DEPTH} then break end
    count = count + 1
    kept[count] = link
  end
  lineage = table.concat(kept, ';')
  -- What the new master holds survived the move: all of it is visible (its commit marks, written
  -- after each WAIT, may not have replicated before the promotion).
  redis.call('HSET', KEYS[2], 'epoch', fresh, 'committed', top, 'rid', RID, 'roff', ROFF, 'lineage', lineage)
  expire_all(ttl)
  return fresh, top, top, lineage
end

local function publish_live(command, channel, epoch, offset, id, payload)
  redis.call(command, channel, '{"epoch":' .. cjson.encode(epoch) .. ',"offset":' .. offset ..
    ',"id":' .. cjson.encode(id) .. ',"payload":' .. payload .. '}')
end
`;

/**
 * KEYS: 1 stream, 2 meta, 3 dedup key of the publisher id, 4 live channel.
 * ARGV: 1 publisher id, 2 payload JSON, 3 history size, 4 history TTL ms (0: none), 5 dedup TTL
 * ms, 6 fresh epoch, 7 publish command (`PUBLISH`, `SPUBLISH`; empty: the append waits for its
 * replicas and `COMMIT_SCRIPT` makes it visible). Returns {epoch, offset, duplicate 0|1}.
 *
 * A duplicate that will be waited for refreshes its dedup key: a write, so that the caller's
 * `WAIT` covers the earlier append too (WAIT counts only the writes of its own connection).
 */
export const APPEND_SCRIPT = `${CHANNEL_STATE}
local earlier = redis.call('GET', KEYS[3])
if earlier then
  if ARGV[7] == '' then redis.call('PEXPIRE', KEYS[3], ARGV[5]) end
  local space = string.find(earlier, ' ', 1, true)
  return {string.sub(earlier, space + 1), tonumber(string.sub(earlier, 1, space - 1)), 1}
end
local ttl = tonumber(ARGV[4])
local epoch, top = channel_state(ARGV[6], ttl)
local offset = top + 1
redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[3], offset .. '-0', 'id', ARGV[1], 'payload', ARGV[2])
redis.call('SET', KEYS[3], offset .. ' ' .. epoch, 'PX', ARGV[5])
if ARGV[7] == '' then
  redis.call('HSET', KEYS[2], 'top', offset, 'rid', RID, 'roff', ROFF)
else
  redis.call('HSET', KEYS[2], 'top', offset, 'committed', offset, 'rid', RID, 'roff', ROFF)
  publish_live(ARGV[7], KEYS[4], epoch, offset, ARGV[1], ARGV[2])
end
expire_all(ttl)
return {epoch, offset, 0}
`;

/**
 * Makes an append its replicas acknowledged visible: raises `committed` to its offset and
 * publishes it live, unless a later commit already covered it (its subscribers then read it
 * from history, like any hole). Commits publish in offset order, each offset at most once.
 * KEYS: 1 stream, 2 meta, 3 live channel. ARGV: 1 epoch of the append, 2 offset, 3 fresh epoch,
 * 4 history TTL ms, 5 publish command. Returns 1 when it published.
 */
export const COMMIT_SCRIPT = `${CHANNEL_STATE}
local epoch, top, committed = channel_state(ARGV[3], tonumber(ARGV[4]))
local offset = tonumber(ARGV[2])
if epoch ~= ARGV[1] or offset <= committed or offset > top then return 0 end
redis.call('HSET', KEYS[2], 'committed', offset)
local entry = redis.call('XRANGE', KEYS[1], offset .. '-0', offset .. '-0')[1]
if not entry then return 0 end
publish_live(ARGV[5], KEYS[3], epoch, offset, entry[2][2], entry[2][4])
return 1
`;

/**
 * ARGV: 1 fresh epoch, 2 history TTL ms, 3 TTL ms of a channel nobody has published to.
 * Returns {epoch, committed top, lineage}. A channel without entries is only looked at: its state
 * lives the short TTL (renewed while a replica has subscribers on it, `KEEP_EMPTY_SCRIPT`), the
 * first append gives it the history's.
 */
export const POSITION_SCRIPT = `${CHANNEL_STATE}
local epoch, top, committed, lineage = channel_state(ARGV[1], tonumber(ARGV[2]))
if top == 0 then redis.call('PEXPIRE', KEYS[2], ARGV[3]) end
return {epoch, committed, lineage}
`;

/** KEYS: 1 meta. ARGV: 1 TTL ms of a channel nobody has published to. Renews that TTL while the channel is still empty. */
export const KEEP_EMPTY_SCRIPT = `
if redis.call('HGET', KEYS[1], 'top') == '0' then return redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return 0
`;

/**
 * The committed entries from an offset on. ARGV: 1 first offset wanted, 2 count.
 * Returns {epoch or '', committed offset, entries}.
 */
export const READ_SCRIPT = `
local m = redis.call('HMGET', KEYS[2], 'epoch', 'committed')
if not m[1] then return {'', 0, {}} end
local last = tonumber(m[2])
if last < tonumber(ARGV[1]) then return {m[1], last, {}} end
return {m[1], last, redis.call('XRANGE', KEYS[1], ARGV[1] .. '-0', last .. '-0', 'COUNT', ARGV[2])}
`;

/**
 * Compare-and-set to a new epoch that continues nothing, for a loss the scripts could not see
 * (a server found the channel below what it had delivered): only if the epoch is still
 * `expected`, so when several servers see it, the first one wins and the others adopt its epoch.
 * ARGV: 1 expected epoch, 2 fresh epoch, 3 history TTL ms. Returns the epoch now.
 */
export const RENEW_SCRIPT = `${CHANNEL_STATE}
local epoch = channel_state(ARGV[2], tonumber(ARGV[3]))
if epoch ~= ARGV[1] then return epoch end
redis.call('HSET', KEYS[2], 'epoch', ARGV[2], 'lineage', '')
return ARGV[2]
`;
