// The Lua scripts that make limits and budgets atomic across proxies. One script per admission, one per
// settlement: every key a request touches carries its tenant's hash tag, so each script runs on one slot
// (Redis Cluster and Valkey included).
//
// Amounts of money travel as decimal strings and are changed with HINCRBY, which is exact 64-bit integer
// arithmetic; Lua compares them as doubles, exact below 2^53 micro-dollars (9 billion dollars). Numbers are
// never passed back to redis.call as Lua numbers, because Lua would format large ones as "1e+15".
import { createHash } from "node:crypto";
import type { Cluster, Redis } from "ioredis";

export type RedisLike = Redis | Cluster;

/** EVALSHA with a fallback to EVAL when the server has not seen the script (after a restart or failover). */
export class LuaScript {
  readonly sha: string;
  constructor(readonly source: string) {
    this.sha = createHash("sha1").update(source).digest("hex");
  }

  async run(redis: RedisLike, keys: string[], args: string[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (err instanceof Error && err.message.startsWith("NOSCRIPT")) {
        return await redis.eval(this.source, keys.length, ...keys, ...args);
      }
      throw err;
    }
  }
}

// Releases reservations whose proxy never settled them (it crashed, or lost its connection for good).
const SWEEP = `
local function sweep(zkey, dkey, now, max)
  local expired = redis.call('ZRANGEBYSCORE', zkey, '-inf', now, 'LIMIT', 0, max)
  for _, id in ipairs(expired) do
    local data = redis.call('HGET', dkey, id)
    if data then
      local r = cjson.decode(data)
      for _, b in ipairs(r.b) do
        if redis.call('EXISTS', b[1]) == 1 then
          if redis.call('HINCRBY', b[1], 'reserved', '-' .. b[2]) < 0 then redis.call('HSET', b[1], 'reserved', '0') end
        end
      end
      redis.call('HDEL', dkey, id)
    end
    redis.call('ZREM', zkey, id)
  end
end
`;

/**
 * Admission. KEYS: [1] reservation expiry zset, [2] reservation records, then one hash per budget window
 * (spent, reserved, init, soft, exh), then two counters per rate limit (current window, previous window).
 * ARGV: [1] now ms, [2] reservation id, [3] reservation expiry ms, [4] reserve micros, [5] estimated tokens,
 * [6] #limits, [7] #budgets, [8] route id ('' for none), [9] sweep batch, then 4 per budget (limit micros,
 * action b|d|a, downgrade route id or '', window id for the reply), then 2 per limit (kind r|t, limit), with
 * [10] the rate window in ms.
 *
 * Budgets arrive most specific first, so the first budget that votes for the strictest action is the one
 * reported. Budgets are checked before rate limits: a spent budget (insufficient_quota) tells the client
 * to stop, which is more useful than a retry-after, and a downgrade moves the request to another route
 * whose own rate limits then apply.
 */
export const ADMIT_LUA =
  SWEEP +
  `
local now = tonumber(ARGV[1])
local reserveStr = ARGV[4]
local reserve = tonumber(reserveStr)
-- Every request counts as at least one micro-dollar against a budget (see wouldOverspend in policy).
local atLeastOne = math.max(reserve, 1)
local est = tonumber(ARGV[5])
local nL = tonumber(ARGV[6])
local nB = tonumber(ARGV[7])
local routeId = ARGV[8]
local win = tonumber(ARGV[10])
sweep(KEYS[1], KEYS[2], now, tonumber(ARGV[9]))

local needInit = {}
local budgets = {}
local block, down, alerted = nil, nil, {}
for i = 1, nB do
  local key = KEYS[2 + i]
  local base = 10 + (i - 1) * 4
  local lim = tonumber(ARGV[base + 1])
  local action = ARGV[base + 2]
  local downRoute = ARGV[base + 3]
  local v = redis.call('HMGET', key, 'spent', 'reserved', 'init')
  if not v[3] then
    table.insert(needInit, i - 1)
  else
    local spent = v[1] or '0'
    local reserved = v[2] or '0'
    budgets[i] = { spent, reserved }
    if tonumber(spent) + tonumber(reserved) + atLeastOne > lim then
      if action == 'b' or (action == 'd' and downRoute == '') then
        if not block then block = i end
      elseif action == 'd' and downRoute ~= routeId then
        if not down then down = i end
      else
        table.insert(alerted, i - 1)
      end
    end
  end
end
if #needInit > 0 then return cjson.encode({ s = 'init', i = needInit }) end
if block or down then
  local i = block or down
  local first = redis.call('HSETNX', KEYS[2 + i], 'exh', '1')
  return cjson.encode({ s = block and 'budget' or 'downgrade', i = i - 1, ex = first, b = budgets[i] })
end

local limits = {}
local refused, retry = nil, 0
local elapsed = now % win
local resetMs = win - elapsed
for j = 1, nL do
  local ck = KEYS[2 + nB + 2 * j - 1]
  local pk = KEYS[2 + nB + 2 * j]
  local base = 10 + nB * 4 + (j - 1) * 2
  local kind = ARGV[base + 1]
  local lim = tonumber(ARGV[base + 2])
  local cost = 1
  if kind == 't' then cost = est end
  local cur = tonumber(redis.call('GET', ck) or '0')
  local prev = tonumber(redis.call('GET', pk) or '0')
  local used = math.floor(prev * (win - elapsed) / win) + cur
  if used + cost <= lim then
    limits[j] = { lim - used - cost, resetMs }
  else
    local wait
    if cost > lim then
      wait = win
    elseif cur + cost <= lim and prev > 0 then
      wait = math.max(1, math.floor((1 - (lim - cur - cost + 1) / prev) * win - elapsed) + 1)
    else
      local share = 1
      if cur > 0 then share = (lim - cost + 1) / cur end
      wait = resetMs
      if share <= 1 then wait = resetMs + math.floor((1 - share) * win) + 1 end
    end
    limits[j] = { math.max(0, lim - used), resetMs }
    if wait > retry then retry = wait; refused = j end
  end
end
if refused then return cjson.encode({ s = 'rate', i = refused - 1, r = retry, l = limits }) end

for j = 1, nL do
  local ck = KEYS[2 + nB + 2 * j - 1]
  local kind = ARGV[10 + nB * 4 + (j - 1) * 2 + 1]
  local cost = 1
  if kind == 't' then cost = est end
  if cost > 0 then
    redis.call('INCRBY', ck, cost)
    redis.call('PEXPIRE', ck, 2 * win + 1000)
  end
end
if nB > 0 and reserve > 0 then
  local held = {}
  for i = 1, nB do
    redis.call('HINCRBY', KEYS[2 + i], 'reserved', reserveStr)
    table.insert(held, { KEYS[2 + i], reserveStr })
  end
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[2])
  redis.call('HSET', KEYS[2], ARGV[2], cjson.encode({ b = held }))
end
return cjson.encode({ s = 'ok', l = limits, b = budgets, a = alerted })
`;

/**
 * Settlement. KEYS: [1] reservation zset, [2] reservation records, [3] settled marker, then one hash per
 * budget window, then the TPM counters the admission counted its estimate in.
 * ARGV: [1] reservation id, [2] actual cost micros, [3] token correction (actual - estimate), [4] #budgets,
 * [5] #token counters, [6] marker ttl seconds, then 2 per budget (limit micros, soft threshold percent).
 *
 * A budget hash that no longer exists (its window expired, or Redis lost it) is not recreated: the spend is
 * in the request log, from which a lost window is rebuilt. A reservation already swept (the call outlived
 * its reservation) is not released twice; its spend is still added.
 */
export const SETTLE_LUA = `
if not redis.call('SET', KEYS[3], '1', 'NX', 'EX', ARGV[6]) then return cjson.encode({ s = 'dup' }) end
local nB = tonumber(ARGV[4])
local nT = tonumber(ARGV[5])
local data = redis.call('HGET', KEYS[2], ARGV[1])
if data then
  local r = cjson.decode(data)
  for _, b in ipairs(r.b) do
    if redis.call('EXISTS', b[1]) == 1 then
      if redis.call('HINCRBY', b[1], 'reserved', '-' .. b[2]) < 0 then redis.call('HSET', b[1], 'reserved', '0') end
    end
  end
  redis.call('HDEL', KEYS[2], ARGV[1])
  redis.call('ZREM', KEYS[1], ARGV[1])
end
local soft, exh, spentOut = {}, {}, {}
for i = 1, nB do
  local key = KEYS[3 + i]
  if redis.call('EXISTS', key) == 1 then
    local spent = redis.call('HINCRBY', key, 'spent', ARGV[2])
    spentOut[i] = tostring(redis.call('HGET', key, 'spent'))
    local lim = tonumber(ARGV[6 + 2 * i - 1])
    local pct = tonumber(ARGV[6 + 2 * i])
    if spent * 100 >= lim * pct and redis.call('HSETNX', key, 'soft', '1') == 1 then table.insert(soft, i - 1) end
    if spent >= lim and redis.call('HSETNX', key, 'exh', '1') == 1 then table.insert(exh, i - 1) end
  else
    spentOut[i] = ''
  end
end
local delta = ARGV[3]
if delta ~= '0' then
  for t = 1, nT do
    local key = KEYS[3 + nB + t]
    if redis.call('EXISTS', key) == 1 then
      if redis.call('INCRBY', key, delta) < 0 then redis.call('SET', key, '0', 'KEEPTTL') end
    end
  end
end
return cjson.encode({ s = 'ok', soft = soft, ex = exh, spent = spentOut })
`;

/**
 * Seeds a budget window's spend (rebuilt from the request logs) once: the first proxy to finish a rebuild
 * wins, later ones change nothing. Spend settled into the hash before the seed is kept and added to, which
 * can count a request twice but never forgets one. KEYS: [1] budget window hash. ARGV: [1] rebuilt spend
 * micros, [2] expire-at ms ('0' for a total budget, which never expires).
 */
export const INIT_BUDGET_LUA = `
if redis.call('HEXISTS', KEYS[1], 'init') == 1 then return 0 end
redis.call('HINCRBY', KEYS[1], 'spent', ARGV[1])
redis.call('HSET', KEYS[1], 'init', '1')
if ARGV[2] ~= '0' then redis.call('PEXPIREAT', KEYS[1], ARGV[2]) end
return 1
`;

/**
 * Replays what a proxy counted locally while Redis was unreachable. KEYS: budget window hashes, then rate
 * counters. ARGV: [1] #budgets, then one spend delta per budget, then per counter (delta, ttl ms).
 * Budget windows that no longer exist are skipped: they are rebuilt from the request logs, which hold the
 * same requests.
 */
export const RECONCILE_LUA = `
local nB = tonumber(ARGV[1])
for i = 1, nB do
  if redis.call('EXISTS', KEYS[i]) == 1 then redis.call('HINCRBY', KEYS[i], 'spent', ARGV[1 + i]) end
end
local base = 1 + nB
for j = nB + 1, #KEYS do
  local k = j - nB
  redis.call('INCRBY', KEYS[j], ARGV[base + 2 * k - 1])
  redis.call('PEXPIRE', KEYS[j], ARGV[base + 2 * k])
end
return 1
`;

/**
 * More reservation for a request already admitted, before an extra attempt (a retry or fallback that may
 * cost as much again). Only block budgets refuse: a request cannot be downgraded half-way, and alert_only
 * never refuses. KEYS: [1] reservation zset, [2] reservation records, then the request's budget hashes.
 * ARGV: [1] reservation id, [2] extra micros, [3] new expiry ms, then 2 per budget (limit micros, action).
 * A reservation already gone (expired) is not revived: the request goes on, and its spend still settles.
 */
export const RESERVE_MORE_LUA = `
local data = redis.call('HGET', KEYS[2], ARGV[1])
if not data then return cjson.encode({ s = 'gone' }) end
local extra = tonumber(ARGV[2])
for i = 3, #KEYS do
  local base = 3 + (i - 3) * 2
  local lim = tonumber(ARGV[base + 1])
  if ARGV[base + 2] == 'b' and redis.call('EXISTS', KEYS[i]) == 1 then
    local v = redis.call('HMGET', KEYS[i], 'spent', 'reserved')
    if tonumber(v[1] or '0') + tonumber(v[2] or '0') + extra > lim then return cjson.encode({ s = 'budget', i = i - 3 }) end
  end
end
local r = cjson.decode(data)
for _, b in ipairs(r.b) do
  if redis.call('EXISTS', b[1]) == 1 then redis.call('HINCRBY', b[1], 'reserved', ARGV[2]) end
  b[2] = string.format('%.0f', tonumber(b[2]) + extra)
end
redis.call('HSET', KEYS[2], ARGV[1], cjson.encode(r))
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
return cjson.encode({ s = 'ok' })
`;

export const admitScript = new LuaScript(ADMIT_LUA);
export const reserveMoreScript = new LuaScript(RESERVE_MORE_LUA);
export const settleScript = new LuaScript(SETTLE_LUA);
export const initBudgetScript = new LuaScript(INIT_BUDGET_LUA);
export const reconcileScript = new LuaScript(RECONCILE_LUA);

export type TenantKeys = ReturnType<typeof buildTenantKeys>;

// Built once per tenant: admission and settlement ask for them on every request.
const keysByTenant = new Map<string, TenantKeys>();

/** Keys of one tenant: all share the hash tag, so all land in one cluster slot. */
export function tenantKeys(tenantId: string): TenantKeys {
  let keys = keysByTenant.get(tenantId);
  if (!keys) {
    if (keysByTenant.size >= 10_000) keysByTenant.clear();
    keys = buildTenantKeys(tenantId);
    keysByTenant.set(tenantId, keys);
  }
  return keys;
}

function buildTenantKeys(tenantId: string) {
  const tag = `{t:${tenantId}}`;
  return {
    reservations: `${tag}:resv`,
    reservationRecords: `${tag}:resv:data`,
    settled: (reservationId: string) => `${tag}:settled:${reservationId}`,
    budgetWindow: (budgetId: string, windowKey: string) => `${tag}:bud:${budgetId}:${windowKey}`,
    rateCounter: (scope: string, subject: string, kind: string, windowIndex: number) =>
      `${tag}:rl:${scope}:${subject}:${kind}:${windowIndex}`,
  };
}
