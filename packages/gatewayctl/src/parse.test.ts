import { describe, expect, it } from "vitest";
import { parseConfigFile } from "./parse.ts";

const minimal = (providerExtra: string, slug = "acme") => `
tenants:
  - slug: ${slug}
    name: Acme
    providers:
      - name: openai
        kind: openai
        base_url: \${UPSTREAM:-https://api.openai.com}/v1
${providerExtra}
    models:
      - name: gpt-4o-mini
        provider: openai
        price: { input: 0.15, output: 0.6 }
    routes:
      - name: chat
        risk: low
        targets: [{ model: gpt-4o-mini }]
`;

describe("parseConfigFile", () => {
  it("interpolates ${VAR} and ${VAR:-default}, and reads api_key_env at parse time", () => {
    const r = parseConfigFile(minimal("        api_key_env: OPENAI_KEY"), { OPENAI_KEY: "sk-1", UPSTREAM: "https://proxy.example.com" });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const t = r.config.tenants[0]!;
    expect(t.config.providers[0]!.base_url).toBe("https://proxy.example.com/v1");
    expect(t.credentials.get("openai")).toEqual({ value: "sk-1", env: "OPENAI_KEY" });
    expect(t.config.models[0]!.price.input).toBe(150_000n);
    expect(t.routeSpecs.get("chat")).toMatchObject({ riskLevel: "low", retryLimit: 1, totalTimeoutMs: 60_000 });

    const defaulted = parseConfigFile(minimal("        api_key: literal"), {});
    expect(defaulted.ok && defaulted.config.tenants[0]!.config.providers[0]!.base_url).toBe("https://api.openai.com/v1");
  });

  it("names the path of a variable that is not set", () => {
    const r = parseConfigFile(minimal("        api_key: ${MISSING_SECRET}\n        api_version: $${literal}"), {});
    expect(r).toEqual({ ok: false, errors: ["tenants[0].providers[0].api_key: environment variable MISSING_SECRET is not set"] });
  });

  it("keeps $${ as a literal ${", () => {
    const r = parseConfigFile(minimal("        api_version: $${literal}"), {});
    expect(r.ok && r.config.tenants[0]!.config.providers[0]!.api_version).toBe("${literal}");
  });

  it("reports unknown fields, missing fields and duplicates by path", () => {
    const r = parseConfigFile(
      `
tenants:
  - slug: Bad Slug
    name: x
    colour: blue
    providers:
      - { name: p, kind: openai }
      - { name: p, kind: openai }
    models:
      - { name: m, provider: p }
`,
      {},
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.sort()).toEqual(
      [
        "tenants[0].slug: expected lowercase letters, digits and dashes (max 63)",
        "tenants[0].colour: unknown field",
        'tenants[0].providers[1].name: duplicate provider name "p"',
        "tenants[0].models[0].price: required",
      ].sort(),
    );
  });

  it("checks upgrade rules, balanced targets and semantic cache models against the declared models", () => {
    const r = parseConfigFile(
      minimal("        api_key: k").replace(
        "targets: [{ model: gpt-4o-mini }]",
        `targets: [{ balance: [{ model: gpt-4o-mini, weight: 1 }, { model: other, weight: 2 }] }]
        upgrade_rules:
          - when: { input_tokens_over: 1000 }
            targets: [{ model: bigger }]
          - when: {}
            targets: [{ model: gpt-4o-mini }]
        semantic_cache: { enabled: true, embedding_model: gpt-4o-mini }`,
      ),
      {},
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.sort()).toEqual(
      [
        'tenants[0].routes[0].targets[0].balance[1].model: unknown model "other" (declare it under models)',
        'tenants[0].routes[0].upgrade_rules[0].targets[0].model: unknown model "bigger" (declare it under models)',
        "tenants[0].routes[0].upgrade_rules[1].when: an upgrade rule needs at least one condition",
        'tenants[0].routes[0].semantic_cache.embedding_model: model "gpt-4o-mini" is not an embedding model',
      ].sort(),
    );
  });

  it("refuses prices finer than a micro-dollar instead of rounding them", () => {
    const r = parseConfigFile(minimal("        api_key: k").replace("input: 0.15", "input: 0.0000001"), {});
    expect(r).toEqual({
      ok: false,
      errors: ["tenants[0].models[0].price.input: expected a non-negative US dollar amount with at most 6 decimals"],
    });
  });

  it("refuses a validator that is not a JSON schema and a banned pattern the regex gate rejects", () => {
    const r = parseConfigFile(
      minimal("        api_key: k").replace(
        "targets: [{ model: gpt-4o-mini }]",
        `targets: [{ model: gpt-4o-mini }]
        validator: { type: 12 }
        guardrails:
          input:
            banned_patterns:
              - { name: ok, pattern: "secret-[0-9]+" }
              - { name: nested, pattern: "(a+)+$" }`,
      ),
      {},
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toHaveLength(2);
    expect(r.errors[0]).toMatch(/^tenants\[0\]\.routes\[0\]\.validator: not a usable JSON schema: /);
    expect(r.errors[1]).toMatch(/^tenants\[0\]\.routes\[0\]\.guardrails\.input\.banned_patterns\[1\]\.pattern: /);
  });
});
