// A stream read to its end marker leaves the upstream connection reusable, even when the provider ends the
// HTTP response a moment after `data: [DONE]` (as real providers do, in a separate packet): the next call
// reuses the connection instead of paying a new handshake.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callChat } from "./call.ts";
import type { UpstreamTarget } from "./types.ts";

let server: Server;
let connections = 0;
let url = "";

const chunk = (delta: object, finish: string | null) =>
  `data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", created: 1, model: "m", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(chunk({ role: "assistant", content: "hi" }, null));
      res.write(chunk({}, "stop"));
      res.write("data: [DONE]\n\n");
      setTimeout(() => res.end(), 30);
    });
  });
  server.on("connection", () => connections++);
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

async function streamOnce(target: UpstreamTarget): Promise<string> {
  const r = await callChat(target, { model: "m", messages: [{ role: "user", content: "x" }], stream: true }, { signal: AbortSignal.timeout(5_000) });
  if (r.kind !== "stream") throw new Error("expected a stream");
  let text = "";
  for await (const c of r.chunks) text += c.choices[0]?.delta.content ?? "";
  return text;
}

describe("streams and upstream keep-alive", () => {
  it("three streams in a row use one upstream connection", async () => {
    const target: UpstreamTarget = { kind: "openai", baseUrl: url, apiKey: "k", authStyle: "bearer", upstreamModel: "m" };
    for (let i = 0; i < 3; i++) {
      expect(await streamOnce(target)).toBe("hi");
      // The rest of the response (its end) is read in the background once the end marker was seen.
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(connections).toBe(1);
  });
});
