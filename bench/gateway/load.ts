// Load generators for the gateway benchmark: precise per-request latency (hrtime, microseconds) for
// sequential and fixed-rate runs, and time to first byte for streams. Throughput at high concurrency is
// measured with autocannon (run.ts). Every loop here is bounded in count and time.
import { Pool } from "undici";

export interface LatencySummary {
  count: number;
  errors: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  meanMs: number;
}

export function summarise(samplesMs: number[], errors: number): LatencySummary {
  const s = [...samplesMs].sort((a, b) => a - b);
  const at = (q: number) => (s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))]! : NaN);
  return {
    count: s.length,
    errors,
    p50Ms: at(0.5),
    p90Ms: at(0.9),
    p99Ms: at(0.99),
    meanMs: s.length ? s.reduce((a, b) => a + b, 0) / s.length : NaN,
  };
}

export interface Target {
  origin: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** The first failed answer of a run, so a table full of errors says why. */
export let firstFailure: string | null = null;

async function once(pool: Pool, t: Target): Promise<{ ms: number; ok: boolean; ttfbMs: number }> {
  const start = process.hrtime.bigint();
  const res = await pool.request({ method: "POST", path: t.path, headers: t.headers, body: t.body });
  let ttfb = -1;
  const failed = res.statusCode !== 200;
  const kept: Buffer[] = [];
  for await (const chunk of res.body) {
    if (ttfb < 0) ttfb = Number(process.hrtime.bigint() - start) / 1e6;
    if (failed && firstFailure === null) kept.push(chunk as Buffer);
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (failed && firstFailure === null) firstFailure = `HTTP ${res.statusCode} ${Buffer.concat(kept).toString().slice(0, 300)}`;
  return { ms, ok: !failed, ttfbMs: ttfb < 0 ? ms : ttfb };
}

/** Concurrency 1: one request after another. */
export async function sequential(t: Target, opts: { count: number; warmup: number; maxSeconds: number }) {
  const pool = new Pool(t.origin, { connections: 1, pipelining: 1 });
  const samples: number[] = [];
  const ttfb: number[] = [];
  let errors = 0;
  const deadline = Date.now() + opts.maxSeconds * 1000;
  try {
    for (let i = 0; i < opts.warmup + opts.count && Date.now() < deadline; i++) {
      const r = await once(pool, t);
      if (i < opts.warmup) continue;
      if (!r.ok) errors++;
      samples.push(r.ms);
      ttfb.push(r.ttfbMs);
    }
  } finally {
    await pool.close();
  }
  return { latency: summarise(samples, errors), ttfb: summarise(ttfb, errors) };
}

/** Open-loop fixed arrival rate: requests are sent on schedule whether or not earlier ones finished. */
export async function fixedRate(t: Target, opts: { rps: number; seconds: number; connections: number }) {
  const pool = new Pool(t.origin, { connections: opts.connections, pipelining: 1 });
  const samples: number[] = [];
  let errors = 0;
  let sent = 0;
  const total = opts.rps * opts.seconds;
  const inflight = new Set<Promise<void>>();
  const t0 = process.hrtime.bigint();
  try {
    while (sent < total) {
      const due = Number(process.hrtime.bigint() - t0) / 1e9;
      const shouldHaveSent = Math.min(total, Math.floor(due * opts.rps));
      while (sent < shouldHaveSent) {
        sent++;
        const p: Promise<void> = once(pool, t)
          .then((r) => {
            if (!r.ok) errors++;
            samples.push(r.ms);
          })
          .catch(() => {
            errors++;
          })
          .finally(() => inflight.delete(p));
        inflight.add(p);
      }
      await new Promise((r) => setTimeout(r, 1));
      if (due > opts.seconds * 3) break; // bounded even if the target stalls
    }
    await Promise.race([Promise.all(inflight), new Promise((r) => setTimeout(r, 30_000))]);
  } finally {
    await pool.close();
  }
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  return { latency: summarise(samples, errors), achievedRps: samples.length / elapsed };
}
