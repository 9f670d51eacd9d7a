// One Redis connection per server process, used only to announce configuration changes to the proxies.
import { Redis } from "ioredis";
import { publishConfigChange } from "@gateway/db/config-channel";
import { env } from "../env.ts";

let client: Redis | undefined;

function redis(): Redis {
  client ??= new Redis(env.REDIS_URL, { lazyConnect: false, maxRetriesPerRequest: 2 });
  return client;
}

/** Tell every running proxy to reload the tenant's snapshot. */
export async function announceConfigChange(tenantId: string, reason: string): Promise<void> {
  await publishConfigChange(redis(), { tenantId, reason });
}

export async function closeRedis(): Promise<void> {
  if (client) {
    await client.quit();
    client = undefined;
  }
}
