// The semantic cache: (embedding, response) pairs per tenant, route and route version, searched by cosine
// similarity. Two indexes behind one interface:
//   - PgVectorIndex, where the database has the pgvector extension: its own side tables (one per embedding
//     dimension, `vector(d)` with an HNSW index), created at runtime — not in the Prisma migrations, because
//     the extension may be absent and a migration must not depend on it;
//   - ExactCosineIndex everywhere else: cosine computed in Postgres over the route's newest live rows of
//     `semantic_cache_entries`. Exact, and bounded in count, so its cost per lookup is capped.
// Both run on a bare query function, so the pgvector SQL can be tested on PGlite and the fallback on Postgres.
import { randomUUID } from "node:crypto";
import type { ChatCompletion } from "../providers/openai-types.ts";

/** `pg.Pool#query` and `PGlite#query` both fit. */
export type SqlQuery = (sql: string, params?: unknown[]) => Promise<{ rows: Array<Record<string, unknown>> }>;

export type SemanticIndexKind = "pgvector" | "exact";

export interface SemanticScope {
  tenantId: string;
  routeName: string;
  routeVersion: number;
}

export interface SemanticSearch extends SemanticScope {
  embedding: readonly number[];
  /** Cosine similarity a stored entry must reach to be served (route default 0.97). */
  threshold: number;
}

export interface SemanticSearchResult {
  /** True when the best entry reaches the threshold; a miss still reports how close it came. */
  hit: boolean;
  similarity: number;
  entryId: string;
  response: ChatCompletion;
  /** What the original call cost: a hit saves this much. */
  costMicros: bigint;
}

export interface SemanticEntry extends SemanticScope {
  embedding: readonly number[];
  queryText: string;
  response: ChatCompletion;
  costMicros: bigint;
  ttlSeconds: number;
  /** Keep at most this many live entries per tenant, route and version (the route's maxEntries). */
  maxEntries: number;
}

export interface SemanticIndex {
  readonly kind: SemanticIndexKind;
  /** The closest live entry of the same tenant, route and version, or null when there is none. */
  search(q: SemanticSearch): Promise<SemanticSearchResult | null>;
  store(e: SemanticEntry): Promise<void>;
}

function checkEmbedding(embedding: readonly number[]): void {
  if (embedding.length === 0) throw new Error("semantic cache: empty embedding");
  for (const x of embedding) if (!Number.isFinite(x)) throw new Error("semantic cache: embedding has a non-finite value");
}

function checkTtl(ttlSeconds: number): void {
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0) throw new Error("semantic cache: ttlSeconds must be a positive integer");
}

export function cosineSimilarity(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) return -1;
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

const asBigInt = (v: unknown): bigint => (typeof v === "bigint" ? v : BigInt(String(v ?? 0)));
const asResponse = (v: unknown): ChatCompletion => (typeof v === "string" ? JSON.parse(v) : v) as ChatCompletion;

// ---------------------------------------------------------------- exact cosine over semantic_cache_entries

/**
 * The fallback compares against a route's newest live entries, as many as fit in this many vector elements
 * (within [EXACT_SCAN_MIN_ROWS, EXACT_SCAN_MAX_ROWS]): 333 entries of a 1536-dimension model, 1365 of a
 * 384-dimension one. Measured on the dev box: 2000 × 1536 took ~1.5 s in SQL and 6-12 s when the arrays
 * were shipped to JS (pg parses float arrays slowly), so the cosine is computed in Postgres and the bound
 * is set by work, not rows.
 */
export const EXACT_SCAN_MAX_ELEMENTS = 512 * 1024;
export const EXACT_SCAN_MIN_ROWS = 100;
export const EXACT_SCAN_MAX_ROWS = 2000;

export function exactScanRows(dimensions: number): number {
  return Math.max(EXACT_SCAN_MIN_ROWS, Math.min(EXACT_SCAN_MAX_ROWS, Math.floor(EXACT_SCAN_MAX_ELEMENTS / dimensions)));
}

export class ExactCosineIndex implements SemanticIndex {
  readonly kind = "exact" as const;
  constructor(
    private readonly query: SqlQuery,
    private readonly scanRows: (dimensions: number) => number = exactScanRows,
  ) {}

  async search(q: SemanticSearch): Promise<SemanticSearchResult | null> {
    checkEmbedding(q.embedding);
    // Entries of another embedding model (another dimension) are not comparable: they are left out.
    const { rows } = await this.query(
      `WITH recent AS (
         SELECT id, embedding FROM semantic_cache_entries
          WHERE tenant_id = $1 AND route_name = $2 AND route_version = $3 AND expires_at > now()
            AND cardinality(embedding) = $5
          ORDER BY created_at DESC LIMIT $6
       ), scored AS (
         SELECT r.id,
                (SELECT sum(a * b) / NULLIF(sqrt(sum(a * a)) * sqrt(sum(b * b)), 0)
                   FROM unnest(r.embedding, $4::double precision[]) AS t(a, b)) AS similarity
           FROM recent r
       )
       SELECT s.id, s.similarity, e.response, e.cost_micros
         FROM scored s JOIN semantic_cache_entries e ON e.id = s.id
        ORDER BY s.similarity DESC NULLS LAST LIMIT 1`,
      [q.tenantId, q.routeName, q.routeVersion, [...q.embedding], q.embedding.length, this.scanRows(q.embedding.length)],
    );
    const row = rows[0];
    if (!row) return null;
    const similarity = row.similarity === null ? 0 : Number(row.similarity);
    return {
      hit: similarity >= q.threshold,
      similarity,
      entryId: String(row.id),
      response: asResponse(row.response),
      costMicros: asBigInt(row.cost_micros),
    };
  }

  async store(e: SemanticEntry): Promise<void> {
    checkEmbedding(e.embedding);
    checkTtl(e.ttlSeconds);
    await this.query(
      `INSERT INTO semantic_cache_entries
         (id, tenant_id, route_name, route_version, embedding, query_text, response, cost_micros, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5::double precision[], $6, $7::jsonb, $8, now(), now() + make_interval(secs => $9))`,
      [randomUUID(), e.tenantId, e.routeName, e.routeVersion, [...e.embedding], e.queryText, JSON.stringify(e.response), e.costMicros.toString(), e.ttlSeconds],
    );
    await this.query(
      `DELETE FROM semantic_cache_entries WHERE id IN (
         SELECT id FROM semantic_cache_entries
          WHERE tenant_id = $1 AND route_name = $2 AND route_version = $3
          ORDER BY created_at DESC OFFSET $4)
        OR (tenant_id = $1 AND route_name = $2 AND route_version = $3 AND expires_at <= now())`,
      [e.tenantId, e.routeName, e.routeVersion, e.maxEntries],
    );
  }
}

// ---------------------------------------------------------------- pgvector with HNSW

/** pgvector's HNSW index covers `vector` columns of up to 2000 dimensions; wider ones are scanned exactly. */
const HNSW_MAX_DIMENSIONS = 2000;
const MAX_DIMENSIONS = 16000;

/**
 * Session setting for the connections PgVectorIndex queries through (pg: `new Pool({ options })`). The HNSW
 * scan returns the ef_search nearest rows of ALL tenants and then filters by tenant and route, so a tenant
 * with few entries among many would find nothing; pgvector >= 0.8 keeps scanning until the filter is
 * satisfied when iterative scans are on. Harmless where pgvector is older or absent (a placeholder setting).
 */
export const PGVECTOR_SESSION_OPTIONS = "-c hnsw.iterative_scan=strict_order";

export class PgVectorIndex implements SemanticIndex {
  readonly kind = "pgvector" as const;
  private readonly ready = new Map<number, Promise<string>>();
  constructor(private readonly query: SqlQuery) {}

  /** The side table for one embedding dimension, created on first use. */
  private table(dimensions: number): Promise<string> {
    if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > MAX_DIMENSIONS) {
      return Promise.reject(new Error(`semantic cache: unsupported embedding dimension ${dimensions}`));
    }
    let p = this.ready.get(dimensions);
    if (!p) {
      const name = `semantic_cache_vectors_${dimensions}`;
      p = (async () => {
        await this.query(
          `CREATE TABLE IF NOT EXISTS ${name} (
             id text PRIMARY KEY,
             tenant_id text NOT NULL,
             route_name text NOT NULL,
             route_version integer NOT NULL,
             embedding vector(${dimensions}) NOT NULL,
             query_text text NOT NULL,
             response jsonb NOT NULL,
             cost_micros bigint NOT NULL DEFAULT 0,
             created_at timestamptz NOT NULL DEFAULT now(),
             expires_at timestamptz NOT NULL)`,
        );
        await this.query(`CREATE INDEX IF NOT EXISTS ${name}_scope_idx ON ${name} (tenant_id, route_name, route_version, created_at)`);
        if (dimensions <= HNSW_MAX_DIMENSIONS) {
          await this.query(`CREATE INDEX IF NOT EXISTS ${name}_hnsw_idx ON ${name} USING hnsw (embedding vector_cosine_ops)`);
        }
        return name;
      })();
      // A failed creation is retried on the next call rather than remembered.
      p.catch(() => this.ready.delete(dimensions));
      this.ready.set(dimensions, p);
    }
    return p;
  }

  async search(q: SemanticSearch): Promise<SemanticSearchResult | null> {
    checkEmbedding(q.embedding);
    const table = await this.table(q.embedding.length);
    const { rows } = await this.query(
      `SELECT id, response, cost_micros, 1 - (embedding <=> $1::vector) AS similarity FROM ${table}
        WHERE tenant_id = $2 AND route_name = $3 AND route_version = $4 AND expires_at > now()
        ORDER BY embedding <=> $1::vector LIMIT 1`,
      [toVectorLiteral(q.embedding), q.tenantId, q.routeName, q.routeVersion],
    );
    const row = rows[0];
    if (!row) return null;
    const similarity = Number(row.similarity);
    return {
      hit: similarity >= q.threshold,
      similarity,
      entryId: String(row.id),
      response: asResponse(row.response),
      costMicros: asBigInt(row.cost_micros),
    };
  }

  async store(e: SemanticEntry): Promise<void> {
    checkEmbedding(e.embedding);
    checkTtl(e.ttlSeconds);
    const table = await this.table(e.embedding.length);
    await this.query(
      `INSERT INTO ${table} (id, tenant_id, route_name, route_version, embedding, query_text, response, cost_micros, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5::vector, $6, $7::jsonb, $8, now(), now() + make_interval(secs => $9))`,
      [randomUUID(), e.tenantId, e.routeName, e.routeVersion, toVectorLiteral(e.embedding), e.queryText, JSON.stringify(e.response), e.costMicros.toString(), e.ttlSeconds],
    );
    await this.query(
      `DELETE FROM ${table} WHERE id IN (
         SELECT id FROM ${table}
          WHERE tenant_id = $1 AND route_name = $2 AND route_version = $3
          ORDER BY created_at DESC OFFSET $4)
        OR (tenant_id = $1 AND route_name = $2 AND route_version = $3 AND expires_at <= now())`,
      [e.tenantId, e.routeName, e.routeVersion, e.maxEntries],
    );
  }
}

/** pgvector's text input: `[0.1,0.2,...]`. */
export function toVectorLiteral(embedding: readonly number[]): string {
  return `[${embedding.join(",")}]`;
}

// ---------------------------------------------------------------- choosing one

export interface SemanticIndexChoice {
  index: SemanticIndex;
  kind: SemanticIndexKind;
  /** Why this one: shown by /readyz and the dashboard. */
  reason: string;
}

/**
 * pgvector when the server offers the extension and it can be enabled, else the exact fallback. A server
 * that has the extension but refuses CREATE EXTENSION (no privilege) gets the fallback, with the reason.
 */
export async function detectSemanticIndex(query: SqlQuery): Promise<SemanticIndexChoice> {
  const { rows } = await query(`SELECT 1 FROM pg_available_extensions WHERE name = 'vector'`);
  if (rows.length === 0) {
    return { index: new ExactCosineIndex(query), kind: "exact", reason: "pgvector extension not available: exact cosine search over the newest entries" };
  }
  try {
    await query(`CREATE EXTENSION IF NOT EXISTS vector`);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return { index: new ExactCosineIndex(query), kind: "exact", reason: `pgvector available but could not be enabled (${why}): exact cosine search` };
  }
  return { index: new PgVectorIndex(query), kind: "pgvector", reason: "pgvector with HNSW (cosine)" };
}

/**
 * The text a request is embedded by: the conversation without its system/developer prompt (which is the
 * application's, fixed per route, and would otherwise dominate the embedding), one message per line.
 */
export function semanticQueryText(messages: ReadonlyArray<{ role: string; content?: unknown }>): string {
  const lines: string[] = [];
  for (const m of messages) {
    if (m.role === "system" || m.role === "developer") continue;
    const c = m.content;
    const text =
      typeof c === "string"
        ? c
        : Array.isArray(c)
          ? c
              .filter((p): p is { type: "text"; text: string } => typeof p === "object" && p !== null && p.type === "text" && typeof p.text === "string")
              .map((p) => p.text)
              .join("")
          : "";
    if (text) lines.push(`${m.role}: ${text}`);
  }
  return lines.join("\n");
}

/** Requests the semantic cache stays out of: tool use and several choices do not survive "close enough". */
export function semanticCacheApplies(request: { tools?: unknown[]; n?: number | null; tool_choice?: unknown }): boolean {
  return !(request.tools && request.tools.length > 0) && (request.n ?? 1) === 1;
}
