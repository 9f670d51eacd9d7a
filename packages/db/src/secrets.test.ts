import { describe, expect, it } from "vitest";
import { apiKeyPrefix, decryptSecret, encryptSecret, generateApiKey, hashApiKey } from "./secrets.ts";

const secret = "unit-test-secret-0123456789abcdef";

describe("API keys", () => {
  it("are gw_ secrets stored only as a keyed hash and listed by prefix", () => {
    const k = generateApiKey(secret);
    expect(k.secret).toMatch(/^gw_[A-Za-z0-9_-]{32}$/);
    expect(k.prefix).toBe(k.secret.slice(0, 11));
    expect(k.hash).toBe(hashApiKey(k.secret, secret));
    expect(k.hash).not.toContain(k.secret.slice(3));
    expect(apiKeyPrefix(k.secret)).toBe(k.prefix);
  });

  it("hash differently under another server secret", () => {
    const k = generateApiKey(secret);
    expect(hashApiKey(k.secret, "another-secret-0123456789abcdef")).not.toBe(k.hash);
  });

  it("refuse a missing or short server secret", () => {
    expect(() => hashApiKey("gw_x", "short")).toThrow(/GATEWAY_SECRET_KEY/);
  });
});

describe("credential encryption", () => {
  it("round-trips with AES-256-GCM and a fresh IV each time", () => {
    const a = encryptSecret("sk-provider-credential", secret);
    const b = encryptSecret("sk-provider-credential", secret);
    expect(a).not.toBe(b);
    expect(a).not.toContain("sk-provider");
    expect(decryptSecret(a, secret)).toBe("sk-provider-credential");
  });

  it("detects tampering and the wrong key", () => {
    const c = encryptSecret("value", secret);
    const parts = c.split(":");
    const data = Buffer.from(parts[3]!, "base64");
    data[0] = data[0]! ^ 1;
    parts[3] = data.toString("base64");
    expect(() => decryptSecret(parts.join(":"), secret)).toThrow();
    expect(() => decryptSecret(c, "wrong-secret-0123456789abcdef")).toThrow();
  });
});
