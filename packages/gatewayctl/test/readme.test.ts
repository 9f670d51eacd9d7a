// The file format the README documents is a file apply accepts: the docs cannot drift from the schema.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseConfigFile } from "../src/index.ts";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");

describe("the README's example file", () => {
  it("is valid", () => {
    const yaml = /```yaml\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(yaml).toBeDefined();
    const parsed = parseConfigFile(yaml!, {
      OPENAI_API_KEY: "sk-test",
      ALERT_WEBHOOK_SECRET: "whsec-test",
      GATEWAY_ALLOW_PRIVATE_UPSTREAMS: "1",
    });
    expect(parsed.ok ? [] : parsed.errors).toEqual([]);
  });
});
