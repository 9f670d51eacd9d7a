// The SSRF guard: provider base URLs must reach public addresses unless the operator allows private ones,
// checked when the URL is configured and again on every connection (against DNS rebinding).
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Agent, request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertPublicUpstream, createGuardedLookup, UpstreamAddressError } from "../../src/enforcement/ssrf.ts";

const resolveTo = (...addresses: string[]) => async () => addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));

describe("assertPublicUpstream", () => {
  it.each([
    ["http://127.0.0.1:8080/v1", "loopback"],
    ["http://[::1]/v1", "loopback"],
    ["http://10.0.0.5/v1", "private"],
    ["http://192.168.0.10/v1", "private"],
    ["http://172.20.1.1/v1", "private"],
    ["http://169.254.169.254/latest/meta-data", "link_local"],
    ["http://[fe80::1]/", "link_local"],
    ["http://[fd00::1]/", "private"],
    ["http://100.100.100.200/", "cgnat"],
    ["http://0.0.0.0:11434/", "unspecified"],
    ["http://[::ffff:127.0.0.1]/", "loopback"],
  ])("refuses %s (%s)", async (url, cls) => {
    const err = await assertPublicUpstream(url, { allowPrivate: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamAddressError);
    expect(err).toMatchObject({ addressClass: cls });
    expect((err as Error).message).toContain("GATEWAY_ALLOW_PRIVATE_UPSTREAMS=1");
  });

  it("accepts a public address literal", async () => {
    await expect(assertPublicUpstream("https://8.8.8.8/v1", { allowPrivate: false })).resolves.toBeUndefined();
  });

  it("resolves names and refuses one that points inward", async () => {
    await expect(assertPublicUpstream("http://localhost:11434/v1", { allowPrivate: false })).rejects.toMatchObject({ addressClass: "loopback" });
    await expect(
      assertPublicUpstream("https://metadata.example/v1", { allowPrivate: false, resolve: resolveTo("169.254.169.254") }),
    ).rejects.toMatchObject({ addressClass: "link_local" });
  });

  it("refuses a name with any private address among public ones", async () => {
    await expect(
      assertPublicUpstream("https://mixed.example/v1", { allowPrivate: false, resolve: resolveTo("93.184.216.34", "10.0.0.1") }),
    ).rejects.toMatchObject({ addressClass: "private" });
  });

  it("accepts a name that resolves only to public addresses", async () => {
    await expect(
      assertPublicUpstream("https://api.example/v1", { allowPrivate: false, resolve: resolveTo("93.184.216.34", "2606:2800:220:1::1") }),
    ).resolves.toBeUndefined();
  });

  it("allows private addresses when the operator says so", async () => {
    await expect(assertPublicUpstream("http://127.0.0.1:8080/v1", { allowPrivate: true })).resolves.toBeUndefined();
  });

  it("refuses schemes other than http and https, even when private addresses are allowed", async () => {
    await expect(assertPublicUpstream("file:///etc/passwd", { allowPrivate: true })).rejects.toMatchObject({ addressClass: "scheme" });
    await expect(assertPublicUpstream("not a url", { allowPrivate: true })).rejects.toMatchObject({ addressClass: "scheme" });
  });
});

describe("createGuardedLookup at connect time", () => {
  let server: http.Server;
  let port: number;
  beforeAll(async () => {
    server = http.createServer((_, res) => res.end("internal"));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("refuses to connect to a name that resolves to loopback", async () => {
    const dispatcher = new Agent({ connect: { lookup: createGuardedLookup({ allowPrivate: false }) } });
    try {
      const err = await request(`http://localhost:${port}/`, { dispatcher }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect(String((err as Error).message) + String((err as { cause?: Error }).cause?.message ?? "")).toMatch(/loopback/);
    } finally {
      await dispatcher.close();
    }
  });

  it("connects when private addresses are allowed", async () => {
    const dispatcher = new Agent({ connect: { lookup: createGuardedLookup({ allowPrivate: true }) } });
    try {
      const res = await request(`http://localhost:${port}/`, { dispatcher });
      expect(await res.body.text()).toBe("internal");
    } finally {
      await dispatcher.close();
    }
  });
});
