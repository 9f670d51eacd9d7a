// No request log is lost: with the log writer's Postgres connection cut during a burst, every request has
// exactly one row once the connection is back; and a proxy told to stop (close(), and a real SIGTERM to a
// child process) finishes the requests in flight and drains its queue before exiting.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPrisma } from "@gateway/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnProxy } from "./helpers/child.ts";
import { startPgCutter } from "./helpers/pg-cutter.ts";
import { startTestProxy } from "./helpers/proxy.ts";
import { seedTenant, type SeededTenant } from "./helpers/seed.ts";
import { startMock, type Mock } from "./helpers/mock.ts";

const prisma = createPrisma(process.env.DATABASE_URL!);
let t: SeededTenant;
let mock: Mock;

beforeAll(async () => {
  mock = await startMock();
  t = await seedTenant(prisma, { mockUrl: mock.url, secretKey: process.env.GATEWAY_SECRET_KEY! });
});
afterAll(async () => {
  await mock.close();
  await prisma.$disconnect();
});

/** A chat call the mock answers after `delayMs`, so it is still in flight when the proxy is told to stop. */
function chat(url: string, key: string, delayMs: number): Promise<{ status: number; requestId: string | null } | { error: string }> {
  return fetch(url + "/v1/chat/completions", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify({ model: "chat", messages: [{ role: "user", content: `hello ${mock.delayMarker(delayMs)}` }] }),
  }).then(
    async (res) => {
      await res.arrayBuffer();
      return { status: res.status, requestId: res.headers.get("x-request-id") };
    },
    (err: unknown) => ({ error: String((err as Error).cause ?? err) }),
  );
}

async function rowsFor(ids: string[]): Promise<Map<string, number>> {
  const rows = await prisma.requestLog.findMany({ where: { tenantId: t.tenantId, id: { in: ids } }, select: { id: true } });
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.id, (counts.get(r.id) ?? 0) + 1);
  return counts;
}

describe("request logs survive", () => {
  it("a Postgres connection cut during a burst: exactly one row per request after restore", async () => {
    const cutter = await startPgCutter(process.env.DATABASE_URL!);
    const proxy = await startTestProxy({ logDatabaseUrl: cutter.url, logWriter: { flushIntervalMs: 20, maxBatch: 10, maxMemoryRows: 15 } });
    try {
      const results: Promise<Awaited<ReturnType<typeof chat>>>[] = [];
      for (let i = 0; i < 20; i++) results.push(chat(proxy.url, t.key, 0));
      await Promise.all(results);
      cutter.cut();
      for (let i = 0; i < 40; i++) results.push(chat(proxy.url, t.key, i % 3 === 0 ? 30 : 0));
      const done = await Promise.all(results);
      cutter.restore();
      const ids = done.map((d) => ("requestId" in d ? d.requestId! : ""));
      expect(done.every((d) => "status" in d && d.status === 200)).toBe(true);
      // The writer retries on its own; flush until it reports everything written.
      for (let i = 0; i < 100; i++) {
        const ok = await proxy.flushLogs().then(
          () => true,
          () => false,
        );
        if (ok) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const counts = await rowsFor(ids);
      expect(counts.size).toBe(60);
      expect([...counts.values()].every((n) => n === 1)).toBe(true);
    } finally {
      await proxy.close();
      await cutter.close();
    }
  });

  it("close() mid-burst: in-flight requests complete and no row is lost", async () => {
    const proxy = await startTestProxy();
    const before = mock.chatCalls();
    const burst = Array.from({ length: 30 }, () => chat(proxy.url, t.key, 1000));
    // Every request is inside the proxy, waiting on its upstream, when close() starts.
    await mock.waitForChatCalls(before + 30);
    await proxy.close();
    const done = await Promise.all(burst);
    const served = done.filter((d): d is { status: number; requestId: string } => "status" in d && d.requestId !== null);
    expect(served.length).toBe(30);
    expect(served.every((d) => d.status === 200)).toBe(true);
    const counts = await rowsFor(served.map((d) => d.requestId));
    expect(counts.size).toBe(30);
  });

  it("close() cuts a stream still open after the grace period, and still logs it", async () => {
    const proxy = await startTestProxy({ closeGraceMs: 300 });
    const res = await fetch(proxy.url + "/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${t.key}` },
      body: JSON.stringify({ model: "chat", stream: true, messages: [{ role: "user", content: "a very long story [[mock:chunk_size=1,chunk_delay_ms=200]]" }] }),
    });
    const reader = res.body!.getReader();
    await reader.read();
    await proxy.close();
    // Either the stream ends with an error event or its connection is cut: both are fine for the client.
    const rest = await (async () => {
      try {
        while (!(await reader.read()).done);
        return "ended";
      } catch {
        return "cut";
      }
    })();
    expect(["ended", "cut"]).toContain(rest);
    const row = await prisma.requestLog.findFirstOrThrow({ where: { id: res.headers.get("x-request-id")! } });
    expect(row).toMatchObject({ midStreamFailure: true, stream: true });
  });

  it("a real SIGTERM to the proxy process: in-flight requests complete, rows are drained, exit code 0", async () => {
    const child = await spawnProxy({
      GATEWAY_PORT: "0",
      GATEWAY_HOST: "127.0.0.1",
      GATEWAY_ALLOW_PRIVATE_UPSTREAMS: "1",
      GATEWAY_JOURNAL_DIR: mkdtempSync(join(tmpdir(), "gw-journal-")),
    });
    const before = mock.chatCalls();
    const burst = Array.from({ length: 20 }, () => chat(child.url, t.key, 1000));
    await mock.waitForChatCalls(before + 20);
    child.child.kill("SIGTERM");
    const done = await Promise.all(burst);
    const code = await child.exited;
    expect(code, child.output()).toBe(0);
    const served = done.filter((d): d is { status: number; requestId: string } => "status" in d && d.requestId !== null);
    expect(served.length, JSON.stringify(done)).toBe(20);
    expect(served.every((d) => d.status === 200)).toBe(true);
    const counts = await rowsFor(served.map((d) => d.requestId));
    expect(counts.size).toBe(20);
  });
});
