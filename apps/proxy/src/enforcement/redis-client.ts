// A Redis connection fit for the hot path: commands fail at once while disconnected instead of queueing,
// so a Redis outage turns into the tenant's fail mode within milliseconds rather than a hung request.
import { Redis } from "ioredis";

export function createEnforcementRedis(url: string, opts: { commandTimeoutMs?: number } = {}): Redis {
  return new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    // A backstop only: admission and breakers keep their own 250 ms deadline, which (unlike this timer)
    // still accepts an answer that arrived while the event loop was busy, instead of failing closed on it.
    commandTimeout: opts.commandTimeoutMs ?? 500,
    connectTimeout: 1000,
    // Keep trying to reconnect (capped backoff); each reconnect triggers replay of locally counted usage.
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 2000),
    lazyConnect: false,
    // Admissions and settlements of concurrent requests issued in the same tick go out in one write (one
    // syscall) instead of one each; under load that is most of the Redis cost on the proxy's core.
    enableAutoPipelining: true,
  });
}
