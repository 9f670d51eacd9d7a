// `npm run bench`: the gateway's overhead, measured side by side with a direct call to the same upstream.
// Starts stub upstreams and the real proxy (every policy on: key auth, scope, RPM/TPM limits, budget
// reserve/settle, request logging to Postgres, metrics), pins the proxy to one core where taskset exists,
// drives both with bounded load on loopback, prints a table and writes bench/results/latest.json.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { applyMigrations, createPrisma, generateApiKey, encryptSecret } from "@gateway/db";
import { ensureServices } from "../../scripts/services.mjs";
import { firstFailure, fixedRate, sequential, type Target } from "./load.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const quick = process.argv.includes("--quick");
const secs = (full: number) => (quick ? Math.max(2, Math.round(full / 4)) : full);
const log = (l: string) => process.stderr.write(`[bench] ${l}\n`);

const PORTS = { proxy: 4100, stubFast: 4101, stubDirect: 4102, stubSlow: 4103, stubSlowDirect: 4104 };
const canPin = existsSync("/usr/bin/taskset") && os.cpus().length >= 2;
const children: ChildProcess[] = [];

function startNode(name: string, args: string[], env: NodeJS.ProcessEnv, core: number | null): ChildProcess {
  const cmd = canPin && core !== null ? "taskset" : process.execPath;
  const full = canPin && core !== null ? ["-c", String(core), process.execPath, ...args] : args;
  const child = spawn(cmd, full, { cwd: root, env, stdio: ["ignore", "ignore", "pipe"] });
  child.stderr!.on("data", (d: Buffer) => {
    if (process.env.BENCH_VERBOSE) process.stderr.write(`[${name}] ${d}`);
  });
  children.push(child);
  return child;
}

async function waitReady(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet: keep polling until the deadline
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`not ready: ${url}`);
}

function procCpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  const ticks = Number(f[11]) + Number(f[12]); // utime + stime
  return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}
function procPeakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function throughput(url: string, headers: Record<string, string>, body: string, seconds: number) {
  const r = await autocannon({ url, method: "POST", headers, body, connections: 64, duration: seconds, pipelining: 1 });
  return { rps: r.requests.average, total: r.requests.total, non2xx: r.non2xx, errors: r.errors, p50Ms: r.latency.p50, p99Ms: r.latency.p99 };
}

async function main() {
  const services = await ensureServices({ purpose: "bench", log });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: services.databaseUrl,
    REDIS_URL: services.redisUrl,
    GATEWAY_SECRET_KEY: process.env.GATEWAY_SECRET_KEY ?? "bench-secret-key-0123456789abcdef0123456789",
    GATEWAY_PORT: String(PORTS.proxy),
    GATEWAY_ALLOW_PRIVATE_UPSTREAMS: "1",
    GATEWAY_JOURNAL_DIR: path.join(root, ".data", "bench-journal"),
    NODE_ENV: "production",
  };
  process.env.GATEWAY_SECRET_KEY = env.GATEWAY_SECRET_KEY;
  await applyMigrations(services.databaseUrl);

  // A tenant with every policy on, sized so the benchmark itself never trips a limit.
  const prisma = createPrisma(services.databaseUrl);
  const slug = `bench-${randomUUID().slice(0, 8)}`;
  const tenant = await prisma.tenant.create({ data: { slug, name: "Benchmark", budgetFailMode: "closed" } });
  const provider = (name: string, port: number) =>
    prisma.providerAccount.create({
      data: { tenantId: tenant.id, name, kind: "openai", baseUrl: `http://127.0.0.1:${port}/v1`, credentialsCiphertext: encryptSecret("bench-upstream-key") },
    });
  const fast = await provider("stub-fast", PORTS.stubFast);
  const slow = await provider("stub-slow", PORTS.stubSlow);
  for (const [name, p] of [["bench-fast-model", fast], ["bench-slow-model", slow]] as const) {
    const m = await prisma.model.create({ data: { tenantId: tenant.id, name, providerAccountId: p.id, upstreamModel: "bench-model" } });
    await prisma.modelPrice.create({ data: { modelId: m.id, effectiveFrom: new Date(0), inputMicrosPerMTok: 150_000n, outputMicrosPerMTok: 600_000n } });
  }
  for (const [name, model] of [["bench-fast", "bench-fast-model"], ["bench-slow", "bench-slow-model"]] as const) {
    const route = await prisma.route.create({ data: { tenantId: tenant.id, name, currentVersion: 1 } });
    await prisma.routeVersion.create({
      data: { routeId: route.id, version: 1, riskLevel: "low", targets: [{ model }], retryLimit: 1, totalTimeoutMs: 30_000, ttftTimeoutMs: 10_000, maxOutputTokens: 256 },
    });
  }
  const app = await prisma.app.create({ data: { tenantId: tenant.id, slug: "bench", name: "Bench" } });
  const envRow = await prisma.environment.create({ data: { tenantId: tenant.id, appId: app.id, name: "production" } });
  const key = generateApiKey();
  const apiKey = await prisma.apiKey.create({
    data: { tenantId: tenant.id, appId: app.id, environmentId: envRow.id, name: "bench", prefix: key.prefix, hash: key.hash, rpm: 10_000_000, tpm: 2_000_000_000 },
  });
  await prisma.rateLimit.create({ data: { tenantId: tenant.id, scope: "tenant", rpm: 10_000_000, tpm: 2_000_000_000 } });
  await prisma.budget.create({
    data: { tenantId: tenant.id, name: "bench-monthly", scope: "tenant", period: "month", limitMicros: 1_000_000_000_000n, action: "block" },
  });
  await prisma.budget.create({
    data: { tenantId: tenant.id, name: "bench-key", scope: "key", apiKeyId: apiKey.id, period: "day", limitMicros: 1_000_000_000_000n, action: "block" },
  });
  await prisma.$disconnect();

  // Gateway path: proxy alone on core 0, its upstream on core 1 with the load generator.
  // Direct path: a stub alone on core 0 — so both rows measure what one core does.
  startNode("stub-fast", ["--import", "tsx", "bench/gateway/stub.ts", "--port", String(PORTS.stubFast)], env, 1);
  startNode("stub-direct", ["--import", "tsx", "bench/gateway/stub.ts", "--port", String(PORTS.stubDirect)], env, 0);
  startNode("stub-slow", ["--import", "tsx", "bench/gateway/stub.ts", "--port", String(PORTS.stubSlow), "--delay-ms", "50"], env, 1);
  startNode("stub-slow-direct", ["--import", "tsx", "bench/gateway/stub.ts", "--port", String(PORTS.stubSlowDirect), "--delay-ms", "50"], env, 0);
  const proxy = startNode("proxy", ["--import", "tsx", "apps/proxy/src/main.ts"], env, 0);
  for (const p of [PORTS.stubFast, PORTS.stubDirect, PORTS.stubSlow, PORTS.stubSlowDirect]) await waitReady(`http://127.0.0.1:${p}/healthz`);
  await waitReady(`http://127.0.0.1:${PORTS.proxy}/readyz`);
  log(`proxy pid ${proxy.pid}${canPin ? " pinned to core 0" : " (not pinned: taskset or a second core missing)"}`);

  const messages = [{ role: "user", content: "Where is my order #1234? It was due yesterday." }];
  const gwHeaders = { "content-type": "application/json", authorization: `Bearer ${key.secret}` };
  const directHeaders = { "content-type": "application/json", authorization: "Bearer bench-upstream-key" };
  const body = (model: string, stream = false) => JSON.stringify({ model, messages, max_tokens: 64, ...(stream ? { stream: true } : {}) });
  const gw = (model: string, stream = false): Target => ({ origin: `http://127.0.0.1:${PORTS.proxy}`, path: "/v1/chat/completions", headers: gwHeaders, body: body(model, stream) });
  const direct = (port: number, stream = false): Target => ({ origin: `http://127.0.0.1:${port}`, path: "/v1/chat/completions", headers: directHeaders, body: body("bench-model", stream) });

  // Sanity: the gateway answers 200 through every policy before we measure anything.
  const probe = await fetch(`http://127.0.0.1:${PORTS.proxy}/v1/chat/completions`, { method: "POST", headers: gwHeaders, body: body("bench-fast") });
  if (probe.status !== 200) throw new Error(`gateway probe failed: HTTP ${probe.status} ${await probe.text()}`);

  log("warming up");
  await throughput(`http://127.0.0.1:${PORTS.proxy}/v1/chat/completions`, gwHeaders, body("bench-fast"), 2);

  log(`throughput at concurrency 64 (${secs(10)} s each)`);
  const tDirect = await throughput(`http://127.0.0.1:${PORTS.stubDirect}/v1/chat/completions`, directHeaders, body("bench-model"), secs(10));
  const cpu0 = procCpuMs(proxy.pid!);
  const tGw = await throughput(`http://127.0.0.1:${PORTS.proxy}/v1/chat/completions`, gwHeaders, body("bench-fast"), secs(10));
  const cpuPerReqUs = ((procCpuMs(proxy.pid!) - cpu0) * 1000) / Math.max(1, tGw.total);

  log("latency at concurrency 1");
  const n1 = quick ? 500 : 3000;
  const c1Direct = await sequential(direct(PORTS.stubDirect), { count: n1, warmup: 200, maxSeconds: 60 });
  const c1Gw = await sequential(gw("bench-fast"), { count: n1, warmup: 200, maxSeconds: 60 });

  log(`latency at a fixed 1,000 requests/s with a 50 ms upstream (${secs(10)} s each)`);
  const rDirect = await fixedRate(direct(PORTS.stubSlowDirect), { rps: 1000, seconds: secs(10), connections: 256 });
  const rGw = await fixedRate(gw("bench-slow"), { rps: 1000, seconds: secs(10), connections: 256 });

  log("time to first token, streaming");
  const nS = quick ? 300 : 1500;
  const sDirect = await sequential(direct(PORTS.stubDirect, true), { count: nS, warmup: 100, maxSeconds: 60 });
  const sGw = await sequential(gw("bench-fast", true), { count: nS, warmup: 100, maxSeconds: 60 });
  const peakRssMb = procPeakRssMb(proxy.pid!);

  const results = {
    at: new Date().toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version },
    proxyPinnedToOneCore: canPin,
    quick,
    throughput: { directRps: tDirect.rps, gatewayRps: tGw.rps, ratio: tGw.rps / tDirect.rps, gatewayNon2xx: tGw.non2xx, gatewayErrors: tGw.errors },
    concurrency1: { direct: c1Direct.latency, gateway: c1Gw.latency, addedP50Ms: c1Gw.latency.p50Ms - c1Direct.latency.p50Ms, addedP99Ms: c1Gw.latency.p99Ms - c1Direct.latency.p99Ms },
    fixedRate1000: { direct: rDirect, gateway: rGw, addedP50Ms: rGw.latency.p50Ms - rDirect.latency.p50Ms, addedP99Ms: rGw.latency.p99Ms - rDirect.latency.p99Ms },
    streamingTtft: { direct: sDirect.ttfb, gateway: sGw.ttfb, addedP50Ms: sGw.ttfb.p50Ms - sDirect.ttfb.p50Ms },
    proxy: { cpuMicrosPerRequest: cpuPerReqUs, peakRssMb },
  };
  const targets = [
    ["throughput ≥ 1/3 of direct (c=64, proxy on one core)", results.throughput.ratio >= 1 / 3, `${(results.throughput.ratio * 100).toFixed(1)} %`],
    ["added p50 ≤ 0.3 ms at c=1", results.concurrency1.addedP50Ms <= 0.3, `${results.concurrency1.addedP50Ms.toFixed(3)} ms`],
    ["added p99 ≤ 2 ms at 1,000 req/s", results.fixedRate1000.addedP99Ms <= 2, `${results.fixedRate1000.addedP99Ms.toFixed(3)} ms`],
    ["streaming adds ≤ 1 ms to TTFT (p50)", results.streamingTtft.addedP50Ms <= 1, `${results.streamingTtft.addedP50Ms.toFixed(3)} ms`],
    ["proxy peak RSS < 200 MB", peakRssMb < 200, `${peakRssMb.toFixed(1)} MB`],
  ] as const;

  const f = (n: number) => n.toFixed(3);
  console.log(`\nGateway benchmark ${quick ? "(quick) " : ""}— proxy ${canPin ? "pinned to core 0 (taskset)" : "NOT pinned"}, ${os.cpus().length} cores, ${process.version}\n`);
  console.log("measure                                   direct        gateway       added");
  console.log(`throughput c=64 (req/s)                   ${tDirect.rps.toFixed(0).padEnd(13)} ${tGw.rps.toFixed(0).padEnd(13)} ratio ${(results.throughput.ratio * 100).toFixed(1)} %`);
  console.log(`latency c=1 p50 (ms)                      ${f(c1Direct.latency.p50Ms).padEnd(13)} ${f(c1Gw.latency.p50Ms).padEnd(13)} ${f(results.concurrency1.addedP50Ms)}`);
  console.log(`latency c=1 p99 (ms)                      ${f(c1Direct.latency.p99Ms).padEnd(13)} ${f(c1Gw.latency.p99Ms).padEnd(13)} ${f(results.concurrency1.addedP99Ms)}`);
  console.log(`latency 1k req/s, 50 ms upstream p50 (ms) ${f(rDirect.latency.p50Ms).padEnd(13)} ${f(rGw.latency.p50Ms).padEnd(13)} ${f(results.fixedRate1000.addedP50Ms)}`);
  console.log(`latency 1k req/s, 50 ms upstream p99 (ms) ${f(rDirect.latency.p99Ms).padEnd(13)} ${f(rGw.latency.p99Ms).padEnd(13)} ${f(results.fixedRate1000.addedP99Ms)}`);
  console.log(`  achieved rate (req/s)                   ${rDirect.achievedRps.toFixed(0).padEnd(13)} ${rGw.achievedRps.toFixed(0).padEnd(13)}`);
  console.log(`stream TTFT p50 (ms)                      ${f(sDirect.ttfb.p50Ms).padEnd(13)} ${f(sGw.ttfb.p50Ms).padEnd(13)} ${f(results.streamingTtft.addedP50Ms)}`);
  console.log(`proxy CPU per request (µs)                              ${cpuPerReqUs.toFixed(0)}`);
  console.log(`proxy peak RSS (MB)                                     ${peakRssMb.toFixed(1)}`);
  console.log(`errors: gateway non-2xx ${tGw.non2xx}, c=1 ${c1Gw.latency.errors}, 1k/s ${rGw.latency.errors}, stream ${sGw.ttfb.errors}\n`);
  if (firstFailure) console.log(`first failed answer: ${firstFailure}\n`);
  for (const [name, ok, value] of targets) console.log(`${ok ? "PASS" : "MISS"}  ${name}: ${value}`);

  mkdirSync(path.join(root, "bench", "results"), { recursive: true });
  writeFileSync(path.join(root, "bench", "results", "latest.json"), JSON.stringify({ ...results, targets: targets.map(([name, ok, value]) => ({ name, ok, value })) }, null, 2));
  console.log(`\nwrote bench/results/latest.json`);
}

try {
  await main();
} finally {
  for (const c of children) if (c.exitCode === null) c.kill("SIGTERM");
  spawnSync("sleep", ["0.5"]);
}
process.exit(0);
