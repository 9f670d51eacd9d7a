// Appends request logs to Postgres in batches, off the request path: `enqueue` is synchronous and never
// waits on the database. When Postgres is unreachable rows wait in bounded memory; past the bound the
// oldest spill to an fsync'd journal on local disk (JSON lines). When Postgres returns, the journal is
// replayed first, then memory. Every INSERT is `ON CONFLICT (id, created_at) DO NOTHING`, so a batch sent
// twice (a commit whose acknowledgement was lost, a journal file replayed after a crash) lands once.
//
// Several proxy processes may share a journal directory: a process replays only its own files and those of
// processes that are gone (the pid is in the file name), and looks for newly orphaned ones periodically.
// Within one process, keep one live writer per directory.
import { createReadStream, fsyncSync, mkdirSync, openSync, closeSync, writeSync } from "node:fs";
import { open, readdir, unlink } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import pg from "pg";
import { REQUEST_LOG_COLUMNS, deserializeRow, rowParams, serializeRow, type RequestLogRow } from "./row.ts";

export interface RequestLogWriterOptions {
  databaseUrl: string;
  journalDir: string;
  /** Rows per INSERT, and the queue length that triggers a flush before the interval. */
  maxBatch?: number;
  /** A row waits at most this long in memory before a flush is attempted. */
  flushIntervalMs?: number;
  /** Rows held in memory before the oldest spill to the journal. */
  maxMemoryRows?: number;
  /** Longest pause between attempts while Postgres is unreachable. */
  maxRetryDelayMs?: number;
  /** How long close() keeps trying Postgres before it journals what is left. */
  closeTimeoutMs?: number;
  poolSize?: number;
  /** How often to look for journal files left by writer processes that have since died. */
  orphanScanIntervalMs?: number;
  onError?: (err: Error, context: string) => void;
}

export interface RequestLogWriterStats {
  /** Rows in memory (waiting, in flight, or being spilled). */
  queued: number;
  /** Rows in journal files on disk, not yet written to Postgres. */
  journaled: number;
  /** Rows acknowledged by Postgres since start (a duplicate that DO NOTHING skipped counts too). */
  written: number;
  failedBatches: number;
  /** Rows Postgres refused as data errors, kept in rejected-*.jsonl in the journal directory. */
  rejected: number;
  /** Age of the oldest row not yet written, in ms (0 when nothing waits). */
  lagMs: number;
  oldestQueuedAt: Date | null;
}

export interface RequestLogWriter {
  /** Queues a row. Synchronous; never throws, never waits on Postgres or the disk. */
  enqueue(row: RequestLogRow): void;
  /** Writes every row queued or journaled before the call; rejects if Postgres fails (rows stay queued). */
  flush(): Promise<void>;
  /** Stops the timer and drains memory and journal to Postgres; if Postgres stays down, journals the rest. */
  close(): Promise<void>;
  stats(): RequestLogWriterStats;
}

interface Queued {
  row: RequestLogRow;
  at: number;
  seq: number;
}

interface JournalFile {
  path: string;
  rows: number;
  oldestAt: number;
}

const JOURNAL_FILE = /^rl-(\d+)-(\d+)-\d+\.jsonl$/;

/** A journal file this process may replay: its own, or one whose writer process no longer exists. */
function adoptable(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    // EPERM: alive under another user. Only ESRCH says the writer is gone.
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
}

export function createRequestLogWriter(opts: RequestLogWriterOptions): RequestLogWriter {
  const maxBatch = opts.maxBatch ?? 500;
  const flushIntervalMs = opts.flushIntervalMs ?? 200;
  const maxMemoryRows = opts.maxMemoryRows ?? 50_000;
  const maxRetryDelayMs = opts.maxRetryDelayMs ?? 5_000;
  const closeTimeoutMs = opts.closeTimeoutMs ?? 10_000;
  const orphanScanIntervalMs = opts.orphanScanIntervalMs ?? 30_000;
  const onError = opts.onError ?? ((err: Error, context: string) => console.error(`[request-log-writer] ${context}: ${err.message}`));
  const report = (err: unknown, context: string) => onError(err instanceof Error ? err : new Error(String(err)), context);

  const pool = new pg.Pool({
    connectionString: opts.databaseUrl,
    max: opts.poolSize ?? 2,
    connectionTimeoutMillis: 5_000,
    query_timeout: 30_000,
    idleTimeoutMillis: 10_000,
    allowExitOnIdle: true,
    application_name: "gateway-request-log-writer",
  });
  // An idle client whose connection dies emits here; unhandled, it would crash the proxy.
  pool.on("error", (err) => report(err, "idle Postgres connection failed"));

  mkdirSync(opts.journalDir, { recursive: true });

  let memory: Queued[] = [];
  let inFlight: Queued[] = [];
  let spilling: Queued[] = [];
  let spillDone: Promise<void> | null = null;
  const journal: JournalFile[] = [];
  let journaledRows = 0;
  let written = 0;
  let failedBatches = 0;
  let rejected = 0;
  let seq = 0;
  let fileSeq = 0;
  let closed = false;
  let retryDelayMs = flushIntervalMs;
  let retryAt = 0;
  let backgroundPending = false;
  let exclusive: Promise<unknown> = Promise.resolve();
  let lastScanAt = 0;
  let scanning: Promise<void> | null = null;

  const ready = scanJournal().catch((err: unknown) => report(err, "reading the journal directory"));

  async function scanJournal(): Promise<void> {
    lastScanAt = Date.now();
    const known = new Set(journal.map((f) => f.path));
    const found = (await readdir(opts.journalDir))
      .map((name) => ({ name, m: JOURNAL_FILE.exec(name) }))
      .filter((f) => f.m && adoptable(Number(f.m[2])) && !known.has(join(opts.journalDir, f.name)))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const { name, m } of found) {
      const path = join(opts.journalDir, name);
      const rows = await countLines(path);
      // A spill of ours may have listed this file while the scan was counting.
      if (journal.some((f) => f.path === path)) continue;
      journal.push({ path, rows, oldestAt: Number(m![1]) });
      journaledRows += rows;
    }
    journal.sort((a, b) => (a.path < b.path ? -1 : 1));
  }

  function scanForOrphans(): void {
    if (scanning || closed) return;
    scanning = runExclusive(scanJournal)
      .catch((err: unknown) => report(err, "looking for orphaned journal files"))
      .finally(() => {
        scanning = null;
      });
  }

  /** Runs one drain at a time: background flushes, explicit flush() calls and close() never interleave. */
  function runExclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = exclusive.then(fn, fn);
    exclusive = run.catch(() => undefined);
    return run;
  }

  async function drain(upToSeq: number): Promise<void> {
    await ready;
    for (;;) {
      if (spillDone) await spillDone;
      const file = journal[0];
      if (file) {
        await replay(file);
        continue;
      }
      const head = memory[0];
      if (!head || head.seq > upToSeq) return;
      inFlight = memory.splice(0, maxBatch);
      try {
        await insertRows(inFlight.map((q) => q.row));
        written += inFlight.length;
      } catch (err) {
        memory = inFlight.concat(memory);
        throw err;
      } finally {
        inFlight = [];
      }
    }
  }

  function startBackgroundDrain(): void {
    if (backgroundPending || closed) return;
    backgroundPending = true;
    void runExclusive(() => drain(Number.POSITIVE_INFINITY))
      .then(
        () => {
          retryDelayMs = flushIntervalMs;
          retryAt = 0;
        },
        (err: unknown) => {
          failedBatches++;
          retryAt = Date.now() + retryDelayMs;
          retryDelayMs = Math.min(retryDelayMs * 2, maxRetryDelayMs);
          report(err, "writing request logs to Postgres (rows kept, will retry)");
        },
      )
      .finally(() => {
        backgroundPending = false;
      });
  }

  const timer = setInterval(() => {
    if (Date.now() - lastScanAt >= orphanScanIntervalMs) scanForOrphans();
    if (Date.now() < retryAt) return;
    if (memory.length > 0 || journal.length > 0) startBackgroundDrain();
  }, flushIntervalMs);
  timer.unref();

  async function insertRows(rows: RequestLogRow[]): Promise<void> {
    try {
      await insertBatch(pool, rows);
    } catch (err) {
      if (!isDataError(err) || rows.length === 1) {
        if (isDataError(err)) return deadLetter(rows, err);
        throw err;
      }
      // One bad row must not hold back the rest: insert one by one, keep the refused ones aside.
      for (const row of rows) await insertRows([row]);
    }
  }

  async function deadLetter(rows: RequestLogRow[], cause: unknown): Promise<void> {
    const path = join(opts.journalDir, `rejected-${Date.now()}-${process.pid}-${fileSeq++}.jsonl`);
    await writeDurably(path, rows);
    rejected += rows.length;
    report(cause, `Postgres refused a request log row (${rows[0]?.id}); kept in ${path}`);
  }

  async function replay(file: JournalFile): Promise<void> {
    try {
      await replayLines(file);
    } catch (err) {
      // Someone removed the file by hand: nothing left to replay, and retrying would wedge the queue.
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      report(err, `journal file ${file.path} disappeared before replay`);
      forget(file);
    }
  }

  function forget(file: JournalFile): void {
    const i = journal.indexOf(file);
    if (i === -1) return;
    journal.splice(i, 1);
    journaledRows -= file.rows;
  }

  async function replayLines(file: JournalFile): Promise<void> {
    const bad: string[] = [];
    let batch: RequestLogRow[] = [];
    const lines = createInterface({ input: createReadStream(file.path), crlfDelay: Infinity });
    for await (const line of lines) {
      if (!line.trim()) continue;
      try {
        batch.push(deserializeRow(line));
      } catch {
        // A torn last line from a crash mid-write, or a damaged file: set aside, never dropped silently.
        bad.push(line);
        continue;
      }
      if (batch.length >= maxBatch) {
        await insertRows(batch);
        written += batch.length;
        batch = [];
      }
    }
    if (batch.length) {
      await insertRows(batch);
      written += batch.length;
    }
    if (bad.length) {
      const path = `${file.path}.unreadable`;
      const fh = await open(path, "a");
      await fh.writeFile(bad.join("\n") + "\n");
      await fh.sync();
      await fh.close();
      report(new Error(`${bad.length} unreadable line(s)`), `replaying ${file.path}; kept in ${path}`);
    }
    await unlink(file.path);
    forget(file);
  }

  function maybeSpill(): void {
    if (spillDone || memory.length <= maxMemoryRows) return;
    spillDone = spill().then((ok) => {
      spillDone = null;
      // After a failed spill the next try waits for the next enqueue, not a tight loop against a bad disk.
      if (ok) maybeSpill();
    });
  }

  /** Moves the oldest rows to a new journal file, down to half the memory bound, so spills come in batches. */
  async function spill(): Promise<boolean> {
    const keep = Math.floor(maxMemoryRows / 2);
    spilling = memory.splice(0, memory.length - keep);
    if (spilling.length === 0) return true;
    const oldestAt = Math.min(...spilling.slice(0, 1000).map((q) => q.at));
    const path = join(opts.journalDir, `rl-${String(oldestAt).padStart(15, "0")}-${process.pid}-${fileSeq++}.jsonl`);
    try {
      await writeDurably(path, spilling.map((q) => q.row));
      journal.push({ path, rows: spilling.length, oldestAt });
      journal.sort((a, b) => (a.path < b.path ? -1 : 1));
      journaledRows += spilling.length;
      return true;
    } catch (err) {
      // Disk trouble: the rows stay in memory (over the bound) rather than being lost. A partial file left
      // behind would only replay rows that are also still in memory, which the insert's DO NOTHING absorbs.
      memory = spilling.concat(memory);
      report(err, `spilling request logs to ${path} (rows kept in memory)`);
      await unlink(path).catch((unlinkErr: unknown) => {
        if ((unlinkErr as NodeJS.ErrnoException).code !== "ENOENT") report(unlinkErr, `removing the partial journal file ${path}`);
      });
      return false;
    } finally {
      spilling = [];
    }
  }

  function enqueue(row: RequestLogRow): void {
    try {
      if (closed) {
        journalSync(row);
        return;
      }
      memory.push({ row, at: Date.now(), seq: seq++ });
      if (memory.length > maxMemoryRows) maybeSpill();
      if (memory.length >= maxBatch && Date.now() >= retryAt) startBackgroundDrain();
    } catch (err) {
      report(err, "queueing a request log");
    }
  }

  /** After close() nothing drains memory, so a late row goes straight to disk for the next start. */
  function journalSync(row: RequestLogRow): void {
    const at = Date.now();
    const path = join(opts.journalDir, `rl-${String(at).padStart(15, "0")}-${process.pid}-${fileSeq++}.jsonl`);
    const fd = openSync(path, "wx");
    try {
      writeSync(fd, serializeRow(row) + "\n");
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    journal.push({ path, rows: 1, oldestAt: at });
    journaledRows += 1;
  }

  async function flush(): Promise<void> {
    const upTo = seq - 1;
    await runExclusive(() => drain(upTo));
  }

  async function close(): Promise<void> {
    if (closed) return;
    closed = true;
    clearInterval(timer);
    const deadline = Date.now() + closeTimeoutMs;
    let delay = flushIntervalMs;
    for (;;) {
      try {
        await runExclusive(() => drain(Number.POSITIVE_INFINITY));
        break;
      } catch (err) {
        failedBatches++;
        if (Date.now() + delay >= deadline) {
          report(err, "closing: Postgres unreachable, journaling the remaining request logs");
          break;
        }
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, maxRetryDelayMs);
      }
    }
    await runExclusive(async () => {
      if (spillDone) await spillDone;
      if (memory.length === 0) return;
      const rest = memory;
      memory = [];
      const at = Math.min(...rest.slice(0, 1000).map((q) => q.at));
      const path = join(opts.journalDir, `rl-${String(at).padStart(15, "0")}-${process.pid}-${fileSeq++}.jsonl`);
      try {
        await writeDurably(path, rest.map((q) => q.row));
      } catch (err) {
        memory = rest;
        throw err;
      }
      journal.push({ path, rows: rest.length, oldestAt: at });
      journaledRows += rest.length;
    });
    await pool.end();
  }

  function stats(): RequestLogWriterStats {
    const heads = [memory[0]?.at, inFlight[0]?.at, spilling[0]?.at, journal[0]?.oldestAt].filter((x): x is number => x !== undefined);
    const oldest = heads.length ? Math.min(...heads) : null;
    return {
      queued: memory.length + inFlight.length + spilling.length,
      journaled: journaledRows,
      written,
      failedBatches,
      rejected,
      lagMs: oldest === null ? 0 : Math.max(0, Date.now() - oldest),
      oldestQueuedAt: oldest === null ? null : new Date(oldest),
    };
  }

  return { enqueue, flush, close, stats };
}

const COLUMN_LIST = REQUEST_LOG_COLUMNS.map(([, column]) => `"${column}"`).join(", ");

// Each column's Postgres type, for the array form below. A column missing here (added to row.ts later)
// sends batches through the VALUES form instead, which needs no types.
const COLUMN_TYPES: Readonly<Record<string, string>> = {
  id: "text",
  created_at: "timestamptz",
  tenant_id: "text",
  app_id: "text",
  environment_id: "text",
  environment: "text",
  api_key_id: "text",
  endpoint: "text",
  route_id: "text",
  route_name: "text",
  route_version: "integer",
  workflow: "text",
  end_user: "text",
  user_tier: "text",
  requested_model: "text",
  final_model: "text",
  provider: "text",
  attempts: "jsonb",
  retry_count: "integer",
  fallback_used: "boolean",
  downgraded: "boolean",
  status: "text",
  http_status: "integer",
  error_code: "text",
  mid_stream_failure: "boolean",
  input_tokens: "integer",
  output_tokens: "integer",
  cached_tokens: "integer",
  tokens_estimated: "boolean",
  cost_micros: "bigint",
  cost_saved_micros: "bigint",
  latency_ms: "integer",
  ttft_ms: "integer",
  stream: "boolean",
  cache_hit: "text",
  validator_result: "text",
  guardrail_findings: "jsonb",
  review_item_id: "text",
  metadata: "jsonb",
  request_body: "jsonb",
  response_body: "jsonb",
};

// One array parameter per column and the same statement text for every batch, prepared once per connection:
// Postgres parses and plans a 500-row VALUES list with 20,000 parameters on every INSERT, which cost it
// about 2.5 times the CPU per row of this form (measured), on the machine the proxy shares with it.
const UNNEST_INSERT = REQUEST_LOG_COLUMNS.every(([, column]) => COLUMN_TYPES[column] !== undefined)
  ? `INSERT INTO "request_logs" (${REQUEST_LOG_COLUMNS.map(([, column]) => `"${column}"`).join(", ")}) ` +
    `SELECT * FROM unnest(${REQUEST_LOG_COLUMNS.map(([, column], i) => `$${i + 1}::${COLUMN_TYPES[column]}[]`).join(", ")}) ` +
    `ON CONFLICT ("id", "created_at") DO NOTHING`
  : null;

async function insertBatch(pool: pg.Pool, rows: RequestLogRow[]): Promise<void> {
  if (UNNEST_INSERT) {
    const columns: unknown[][] = REQUEST_LOG_COLUMNS.map(() => new Array<unknown>(rows.length));
    rows.forEach((row, r) => {
      rowParams(row).forEach((v, c) => {
        columns[c]![r] = v;
      });
    });
    await pool.query({ name: "request_logs_insert_v1", text: UNNEST_INSERT, values: columns });
    return;
  }
  const width = REQUEST_LOG_COLUMNS.length;
  const params: unknown[] = [];
  const tuples: string[] = [];
  rows.forEach((row, r) => {
    params.push(...rowParams(row));
    tuples.push(`(${REQUEST_LOG_COLUMNS.map((_, c) => `$${r * width + c + 1}`).join(", ")})`);
  });
  await pool.query(`INSERT INTO "request_logs" (${COLUMN_LIST}) VALUES ${tuples.join(", ")} ON CONFLICT ("id", "created_at") DO NOTHING`, params);
}

/** Postgres refused the data itself (class 22 data exception, 23 integrity): retrying cannot help. */
function isDataError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^(22|23)[0-9A-Z]{3}$/.test(code);
}

async function writeDurably(path: string, rows: RequestLogRow[]): Promise<void> {
  const fh = await open(path, "wx");
  try {
    await fh.writeFile(rows.map(serializeRow).join("\n") + "\n");
    await fh.sync();
  } finally {
    await fh.close();
  }
  // The file's directory entry must be durable too, or a crash could lose a fully synced file.
  const dir = await open(join(path, ".."), "r");
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

async function countLines(path: string): Promise<number> {
  let n = 0;
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  for await (const line of lines) if (line.trim()) n++;
  return n;
}
