import { describe, expect, it } from "vitest";
import { readSse, type SseEvent } from "./sse.ts";

async function collect(pieces: string[]): Promise<SseEvent[]> {
  const out: SseEvent[] = [];
  for await (const ev of readSse(pieces.map((p) => new TextEncoder().encode(p)))) out.push(ev);
  return out;
}

describe("readSse", () => {
  it("reads named events, joins multi-line data and skips comments", async () => {
    expect(await collect([": keep-alive\n", "event: a\ndata: 1\ndata: 2\n\n", "data: x\n\n"])).toEqual([
      { event: "a", data: "1\n2" },
      { event: "message", data: "x" },
    ]);
  });

  it("handles CRLF and CR line ends split across reads", async () => {
    expect(await collect(["data: one\r", "\n\r\ndata: two\r\r"])).toEqual([
      { event: "message", data: "one" },
      { event: "message", data: "two" },
    ]);
  });

  it("handles a multi-byte character split across reads", async () => {
    const bytes = new TextEncoder().encode("data: é\n\n");
    const out: SseEvent[] = [];
    for await (const ev of readSse([bytes.slice(0, 7), bytes.slice(7)])) out.push(ev);
    expect(out).toEqual([{ event: "message", data: "é" }]);
  });

  it("drops an event the stream did not terminate", async () => {
    expect(await collect(["data: whole\n\n", "data: half"])).toEqual([{ event: "message", data: "whole" }]);
  });
});
