// The semantic cache's two indexes against the same assertions: the exact fallback on the real Postgres
// (which has no pgvector here), the pgvector SQL on PGlite with its bundled `vector` extension.
import { randomUUID } from "node:crypto";
import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite/vector";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cosineSimilarity,
  detectSemanticIndex,
  ExactCosineIndex,
  PgVectorIndex,
  semanticCacheApplies,
  semanticQueryText,
  type SemanticIndex,
  type SqlQuery,
} from "../../src/cache/semantic.ts";
import type { ChatCompletion } from "../../src/providers/openai-types.ts";

const answer = (text: string): ChatCompletion => ({
  id: `chatcmpl-${text}`,
  object: "chat.completion",
  created: 1,
  model: "mock-model",
  choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }],
  usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
});

// A stored query, a near duplicate of it (cosine ≈ 0.995), a related but different one (≈ 0.9) and an
// unrelated one: fixed vectors, so the test is the same every run.
const stored = [0.9, 0.1, 0.3, 0.2, 0.05, 0.4, 0.1, 0.25];
const nearDuplicate = [0.88, 0.12, 0.31, 0.18, 0.06, 0.41, 0.09, 0.26];
const related = [0.7, 0.4, 0.1, 0.5, 0.05, 0.2, 0.3, 0.25];
const unrelated = [0, 0.9, 0, 0.1, 0.8, 0, 0.2, 0];

function assertsFor(makeIndex: () => SemanticIndex, expectedKind: "pgvector" | "exact") {
  const scope = () => ({ tenantId: `sem-${randomUUID()}`, routeName: "faq", routeVersion: 1 });
  const entry = (s: ReturnType<typeof scope>, embedding: number[], text: string) => ({
    ...s,
    embedding,
    queryText: text,
    response: answer(text),
    costMicros: 777n,
    ttlSeconds: 3600,
    maxEntries: 100,
  });

  it("is the expected kind", () => {
    expect(makeIndex().kind).toBe(expectedKind);
  });

  it("serves a near duplicate above the threshold and misses below it", async () => {
    const index = makeIndex();
    const s = scope();
    expect(cosineSimilarity(stored, nearDuplicate)).toBeGreaterThan(0.97);
    expect(cosineSimilarity(stored, related)).toBeLessThan(0.97);
    expect(await index.search({ ...s, embedding: stored, threshold: 0.97 })).toBeNull();

    await index.store(entry(s, stored, "stored answer"));
    await index.store(entry(s, unrelated, "unrelated answer"));

    const hit = await index.search({ ...s, embedding: nearDuplicate, threshold: 0.97 });
    expect(hit?.hit).toBe(true);
    expect(hit?.similarity).toBeGreaterThan(0.97);
    expect(hit?.response).toEqual(answer("stored answer"));
    expect(hit?.costMicros).toBe(777n);

    const miss = await index.search({ ...s, embedding: related, threshold: 0.97 });
    expect(miss?.hit).toBe(false);
    expect(miss?.similarity).toBeLessThan(0.97);

    // The route's threshold decides: the same pair hits when the route accepts looser matches.
    const loose = await index.search({ ...s, embedding: related, threshold: 0.85 });
    expect(loose?.hit).toBe(true);
    expect(loose?.response).toEqual(answer("stored answer"));
  });

  it("never serves another tenant, route or route version", async () => {
    const index = makeIndex();
    const s = scope();
    await index.store(entry(s, stored, "tenant a"));
    for (const other of [
      { ...s, tenantId: `${s.tenantId}-other` },
      { ...s, routeName: "other-route" },
      { ...s, routeVersion: 2 },
    ]) {
      expect(await index.search({ ...other, embedding: stored, threshold: 0.5 })).toBeNull();
    }
    expect((await index.search({ ...s, embedding: stored, threshold: 0.5 }))?.hit).toBe(true);
  });

  it("keeps at most maxEntries per route version", async () => {
    const index = makeIndex();
    const s = scope();
    await index.store({ ...entry(s, stored, "oldest"), maxEntries: 1 });
    await index.store({ ...entry(s, unrelated, "newest"), maxEntries: 1 });
    // The oldest entry was evicted, so even its own embedding finds only the newest one, below threshold.
    const r = await index.search({ ...s, embedding: stored, threshold: 0.97 });
    expect(r?.response).toEqual(answer("newest"));
    expect(r?.hit).toBe(false);
  });
}

describe("ExactCosineIndex on Postgres", () => {
  let pool: pg.Pool;
  let query: SqlQuery;
  beforeAll(() => {
    pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
    query = (sql, params) => pool.query(sql, params);
  });
  afterAll(async () => {
    await pool.end();
  });

  assertsFor(() => new ExactCosineIndex(query), "exact");

  it("does not serve expired entries", async () => {
    const index = new ExactCosineIndex(query);
    const s = { tenantId: `sem-${randomUUID()}`, routeName: "faq", routeVersion: 1 };
    await index.store({ ...s, embedding: stored, queryText: "q", response: answer("a"), costMicros: 1n, ttlSeconds: 3600, maxEntries: 10 });
    await pool.query(`UPDATE semantic_cache_entries SET expires_at = now() - interval '1 second' WHERE tenant_id = $1`, [s.tenantId]);
    expect(await index.search({ ...s, embedding: stored, threshold: 0.5 })).toBeNull();
  });

  it("detection agrees with the server's extensions", async () => {
    const { rows } = await pool.query(`SELECT 1 FROM pg_available_extensions WHERE name = 'vector'`);
    const choice = await detectSemanticIndex(query);
    expect(choice.kind).toBe(rows.length > 0 ? "pgvector" : "exact");
    expect(choice.index.kind).toBe(choice.kind);
    expect(choice.reason).not.toBe("");
  });
});

describe("PgVectorIndex on PGlite with the vector extension", () => {
  let db: PGlite;
  let query: SqlQuery;
  beforeAll(async () => {
    db = await PGlite.create({ extensions: { vector } });
    await db.query("CREATE EXTENSION IF NOT EXISTS vector");
    // What PGVECTOR_SESSION_OPTIONS sets on a pg pool; PGlite has one session.
    await db.query("SET hnsw.iterative_scan = strict_order");
    query = async (sql, params) => ({ rows: (await db.query<Record<string, unknown>>(sql, params)).rows });
  });
  afterAll(async () => {
    await db.close();
  });

  it("is detected and enabled, and the side table gets an HNSW cosine index", async () => {
    const choice = await detectSemanticIndex(query);
    expect(choice.kind).toBe("pgvector");
    await choice.index.store({
      tenantId: "t",
      routeName: "r",
      routeVersion: 1,
      embedding: stored,
      queryText: "q",
      response: answer("a"),
      costMicros: 0n,
      ttlSeconds: 60,
      maxEntries: 10,
    });
    const { rows } = await db.query<{ indexdef: string }>(
      `SELECT indexdef FROM pg_indexes WHERE tablename = 'semantic_cache_vectors_${stored.length}'`,
    );
    expect(rows.some((r) => /USING hnsw \(embedding vector_cosine_ops\)/.test(r.indexdef))).toBe(true);
  });

  assertsFor(() => new PgVectorIndex(query), "pgvector");

  it("finds a small tenant's entry among thousands of other tenants' closer ones", async () => {
    const index = new PgVectorIndex(query);
    const mine = { tenantId: `sem-${randomUUID()}`, routeName: "crowded", routeVersion: 1 };
    await index.store({ ...mine, embedding: related, queryText: "q", response: answer("mine"), costMicros: 0n, ttlSeconds: 600, maxEntries: 10 });
    // Other tenants' entries sit right on the query vector: a filter applied after a plain top-k would see only them.
    await db.query(
      `INSERT INTO semantic_cache_vectors_${stored.length} (id, tenant_id, route_name, route_version, embedding, query_text, response, cost_micros, expires_at)
       SELECT 'other-' || g || '-' || $2, 'other-' || (g % 40) || '-' || $2, 'crowded', 1, $1::vector, 'q', '{}'::jsonb, 0, now() + interval '1 hour'
         FROM generate_series(1, 2000) g`,
      [`[${stored.join(",")}]`, mine.tenantId],
    );
    await db.query(`ANALYZE semantic_cache_vectors_${stored.length}`);
    const r = await index.search({ ...mine, embedding: stored, threshold: 0.97 });
    expect(r?.response).toEqual(answer("mine"));
    expect(r?.hit).toBe(false);
  });
});

describe("what the semantic cache embeds", () => {
  it("is the conversation without the system prompt, text parts only", () => {
    expect(
      semanticQueryText([
        { role: "system", content: "You are a support bot." },
        { role: "user", content: [{ type: "text", text: "Where is " }, { type: "text", text: "my order?" }, { type: "image_url" }] },
        { role: "assistant", content: null },
      ]),
    ).toBe("user: Where is my order?");
  });

  it("stays out of tool calls and multiple choices", () => {
    expect(semanticCacheApplies({})).toBe(true);
    expect(semanticCacheApplies({ tools: [{}] })).toBe(false);
    expect(semanticCacheApplies({ n: 2 })).toBe(false);
  });
});
