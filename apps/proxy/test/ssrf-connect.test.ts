// The SSRF guard also runs when a connection is made: a provider host name that resolves to a private or
// loopback address is refused at connect time (DNS rebinding), unless the operator allows private upstreams.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callChat } from "../src/providers/call.ts";
import { guardUpstreamAddresses } from "../src/providers/http.ts";
import { UpstreamError } from "../src/providers/types.ts";
import { startMock, type Mock } from "./helpers/mock.ts";

let mock: Mock;
beforeAll(async () => {
  mock = await startMock();
});
afterAll(async () => {
  guardUpstreamAddresses({ allowPrivate: true });
  await mock.close();
});

function targetVia(host: string) {
  const port = new URL(mock.url).port;
  return { kind: "openai" as const, baseUrl: `http://${host}:${port}/openai/v1`, apiKey: "sk-test", authStyle: "bearer" as const, upstreamModel: "gpt-4o-mini" };
}
const req = { model: "gpt-4o-mini", messages: [{ role: "user" as const, content: "hello" }] };

describe("connect-time SSRF guard", () => {
  it("refuses a host name that resolves to loopback when private upstreams are not allowed", async () => {
    guardUpstreamAddresses({ allowPrivate: false });
    const calls = mock.chatCalls();
    const err = await callChat(targetVia("localhost"), req, { signal: new AbortController().signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamError);
    expect((err as UpstreamError).failure).toBe("connection_error");
    expect(mock.chatCalls()).toBe(calls);
  });

  it("connects when the operator allows private upstreams", async () => {
    guardUpstreamAddresses({ allowPrivate: true });
    const r = await callChat(targetVia("localhost"), req, { signal: new AbortController().signal });
    expect(r.kind).toBe("json");
  });
});
