// Starts a real proxy on port 0 against the test Postgres and Redis, with its own journal directory.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadProxyEnv } from "../../src/env.ts";
import { startProxy, type RunningProxy, type StartProxyOptions } from "../../src/server.ts";

export function testEnv(overrides: Record<string, string> = {}) {
  return loadProxyEnv({
    DATABASE_URL: process.env.DATABASE_URL,
    REDIS_URL: process.env.REDIS_URL,
    GATEWAY_SECRET_KEY: process.env.GATEWAY_SECRET_KEY,
    GATEWAY_PORT: "0",
    GATEWAY_HOST: "127.0.0.1",
    GATEWAY_ALLOW_PRIVATE_UPSTREAMS: "1",
    GATEWAY_JOURNAL_DIR: mkdtempSync(join(tmpdir(), "gw-journal-")),
    ...overrides,
  });
}

export function startTestProxy(opts: Partial<StartProxyOptions> & { envOverrides?: Record<string, string> } = {}): Promise<RunningProxy> {
  const { envOverrides, ...rest } = opts;
  return startProxy({ env: testEnv(envOverrides), logWriter: { flushIntervalMs: 50 }, ...rest });
}
