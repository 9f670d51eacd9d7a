// Seeds one tenant of its own for a test, straight through Prisma: providers pointing at the mock in all
// three wire formats (plus "faulty" twins whose extra upstream headers inject a fault), models with prices,
// routes at every risk level, one app/environment and keys. Every id and slug is unique per call, so tests
// run in parallel against the shared database.
import { randomUUID } from "node:crypto";
import { encryptSecret, generateApiKey, type Prisma, type PrismaClient } from "@gateway/db";
import type { RouteVersionSpec } from "@gateway/policy/route-spec";

export const PRICES = {
  // micro-dollars per million tokens
  openai: { input: 150_000n, output: 600_000n },
  anthropic: { input: 3_000_000n, output: 15_000_000n },
  gemini: { input: 100_000n, output: 400_000n },
  embed: { input: 20_000n, output: 0n },
} as const;

export interface SeededTenant {
  tenantId: string;
  slug: string;
  appId: string;
  environmentId: string;
  /** Secret of a key allowed every route and every model. */
  key: string;
  keyId: string;
  routeIds: Record<string, string>;
  createKey(opts?: { allowedRoutes?: string[]; allowedModels?: string[]; rpm?: number; tpm?: number; expiresAt?: Date }): Promise<{ secret: string; id: string }>;
  addRoute(name: string, spec: Partial<RouteVersionSpec> & Pick<RouteVersionSpec, "riskLevel" | "targets">): Promise<string>;
}

type Json = Prisma.InputJsonValue;

export async function seedTenant(
  prisma: PrismaClient,
  opts: {
    mockUrl: string;
    secretKey: string;
    /** Upstream headers of the faulty twins, e.g. { "x-mock-fault": "status=503" }. */
    faultHeaders?: Record<string, string>;
    logBodies?: boolean;
  },
): Promise<SeededTenant> {
  const slug = `t-${randomUUID().slice(0, 8)}`;
  const tenant = await prisma.tenant.create({ data: { slug, name: `Test ${slug}`, logBodies: opts.logBodies ?? false } });
  const app = await prisma.app.create({ data: { tenantId: tenant.id, slug: "app", name: "App" } });
  const env = await prisma.environment.create({ data: { tenantId: tenant.id, appId: app.id, name: "production" } });
  const cred = encryptSecret("sk-mock-upstream-credential", opts.secretKey);

  const provider = (name: string, kind: "openai" | "anthropic" | "gemini", path: string, headers?: Record<string, string>) =>
    prisma.providerAccount.create({
      data: {
        tenantId: tenant.id,
        name,
        kind,
        baseUrl: `${opts.mockUrl}${path}`,
        credentialsCiphertext: cred,
        ...(headers ? { headers } : {}),
      },
    });
  const faults = opts.faultHeaders ?? { "x-mock-fault": "status=503" };
  const [pOpenai, pAnthropic, pGemini, pFaulty, pFaultyAnthropic] = await Promise.all([
    provider("mock-openai", "openai", "/openai/v1"),
    provider("mock-anthropic", "anthropic", "/anthropic"),
    provider("mock-gemini", "gemini", "/gemini"),
    provider("mock-faulty", "openai", "/openai/v1", faults),
    provider("mock-faulty-anthropic", "anthropic", "/anthropic", faults),
  ]);

  const model = async (name: string, providerId: string, upstreamModel: string, price: { input: bigint; output: bigint }, kind: "chat" | "embedding" = "chat") => {
    const m = await prisma.model.create({
      data: { tenantId: tenant.id, name, providerAccountId: providerId, upstreamModel, kind, capabilities: ["tools", "json_schema", "streaming", "parallel_tool_calls"] },
    });
    await prisma.modelPrice.create({
      data: { modelId: m.id, effectiveFrom: new Date("2024-01-01T00:00:00Z"), inputMicrosPerMTok: price.input, outputMicrosPerMTok: price.output },
    });
    return m;
  };
  await Promise.all([
    model("gpt-mock", pOpenai.id, "gpt-4o-mini", PRICES.openai),
    model("claude-mock", pAnthropic.id, "claude-3-5-haiku-latest", PRICES.anthropic),
    model("gemini-mock", pGemini.id, "gemini-2.0-flash", PRICES.gemini),
    model("gpt-faulty", pFaulty.id, "gpt-4o-mini", PRICES.openai),
    model("claude-faulty", pFaultyAnthropic.id, "claude-3-5-haiku-latest", PRICES.anthropic),
    model("embed-mock", pOpenai.id, "text-embedding-3-small", PRICES.embed, "embedding"),
    model("embed-gemini", pGemini.id, "text-embedding-004", PRICES.embed, "embedding"),
  ]);

  const routeIds: Record<string, string> = {};
  const addRoute: SeededTenant["addRoute"] = async (name, spec) => {
    const r = await prisma.route.create({
      data: {
        tenantId: tenant.id,
        name,
        currentVersion: 1,
        versions: {
          create: {
            version: 1,
            riskLevel: spec.riskLevel,
            targets: spec.targets as unknown as Json,
            upgradeRules: (spec.upgradeRules ?? []) as unknown as Json,
            retryLimit: spec.retryLimit ?? 1,
            totalTimeoutMs: spec.totalTimeoutMs ?? 30_000,
            ttftTimeoutMs: spec.ttftTimeoutMs ?? 10_000,
            maxInputTokens: spec.maxInputTokens ?? null,
            maxOutputTokens: spec.maxOutputTokens ?? null,
            ...(spec.validator ? { validator: spec.validator as unknown as Json } : {}),
            cacheTtlSeconds: spec.cacheTtlSeconds ?? 0,
            ...(spec.semanticCache ? { semanticCache: spec.semanticCache as unknown as Json } : {}),
            ...(spec.guardrails ? { guardrails: spec.guardrails as unknown as Json } : {}),
          },
        },
      },
    });
    routeIds[name] = r.id;
    return r.id;
  };
  await addRoute("chat", { riskLevel: "low", targets: [{ model: "gpt-mock" }, { model: "claude-mock" }] });
  await addRoute("chat-anthropic", { riskLevel: "low", targets: [{ model: "claude-mock" }] });
  await addRoute("chat-gemini", { riskLevel: "low", targets: [{ model: "gemini-mock" }] });
  await addRoute("embed", { riskLevel: "low", targets: [{ model: "embed-mock" }] });
  await addRoute("embed-gemini", { riskLevel: "low", targets: [{ model: "embed-gemini" }] });
  await addRoute("low-faulty", { riskLevel: "low", targets: [{ model: "gpt-faulty" }, { model: "claude-mock" }] });
  await addRoute("medium-faulty", {
    riskLevel: "medium",
    targets: [{ model: "gpt-faulty" }, { model: "claude-mock" }],
    validator: { type: "object", required: ["answer"], properties: { answer: { type: "string" } } },
  });
  await addRoute("high-faulty", { riskLevel: "high", targets: [{ model: "gpt-faulty" }, { model: "claude-mock" }] });
  await addRoute("small-input", { riskLevel: "low", targets: [{ model: "gpt-mock" }], maxInputTokens: 20 });

  const createKey: SeededTenant["createKey"] = async (k = {}) => {
    const g = generateApiKey(opts.secretKey);
    const row = await prisma.apiKey.create({
      data: {
        tenantId: tenant.id,
        appId: app.id,
        environmentId: env.id,
        name: `key-${randomUUID().slice(0, 8)}`,
        prefix: g.prefix,
        hash: g.hash,
        allowedRoutes: k.allowedRoutes ?? [],
        allowedModels: k.allowedModels ?? [],
        rpm: k.rpm ?? null,
        tpm: k.tpm ?? null,
        expiresAt: k.expiresAt ?? null,
      },
    });
    return { secret: g.secret, id: row.id };
  };
  const main = await createKey({ allowedModels: ["gpt-mock", "claude-mock", "gemini-mock", "embed-mock"] });
  return { tenantId: tenant.id, slug, appId: app.id, environmentId: env.id, key: main.secret, keyId: main.id, routeIds, createKey, addRoute };
}
