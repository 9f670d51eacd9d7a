// The Redis channel on which every configuration writer (dashboard, gatewayctl) announces a change, and
// on which every proxy listens to reload its snapshot within a second.
export const CONFIG_CHANNEL = "gateway:config-changed";

export interface ConfigChange {
  tenantId: string | null;
  /** What changed, for logs: "apply", "key.revoke", "route.update", ... */
  reason: string;
  at: string;
}

/** Anything with ioredis' `publish` signature. */
export interface Publisher {
  publish(channel: string, message: string): Promise<number>;
}

export async function publishConfigChange(redis: Publisher, change: Omit<ConfigChange, "at">): Promise<void> {
  await redis.publish(CONFIG_CHANNEL, JSON.stringify({ ...change, at: new Date().toISOString() }));
}
