// Test support for the adapter contract tests: load recorded provider payloads, run a recorded SSE stream
// through an adapter's stream transform, and reassemble chunks the way an OpenAI SDK client would.
import { readFileSync } from "node:fs";
import type { ChatCompletionChunk, ChatCompletionRequest, FinishReason } from "./openai-types.ts";
import { readSse } from "./sse.ts";
import type { ChunkContext, ProviderAdapter, StreamTransform } from "./types.ts";

export function loadFixture(provider: string, name: string): string {
  return readFileSync(new URL(`./${provider}/fixtures/${name}`, import.meta.url), "utf8");
}

export function loadJsonFixture<T = unknown>(provider: string, name: string): T {
  return JSON.parse(loadFixture(provider, name)) as T;
}

export const testContext: ChunkContext = { id: "chatcmpl-test", created: 1_700_000_000, model: "route-model" };

/** Feeds the stream in small pieces so events split across reads are exercised too. */
export async function transformRecordedStream(
  adapter: ProviderAdapter,
  sseText: string,
  req: ChatCompletionRequest,
): Promise<{ chunks: ChatCompletionChunk[]; transform: StreamTransform }> {
  const transform = adapter.createStreamTransform(testContext, req);
  const pieces: Uint8Array[] = [];
  const bytes = new TextEncoder().encode(sseText);
  for (let i = 0; i < bytes.length; i += 37) pieces.push(bytes.slice(i, i + 37));
  const chunks: ChatCompletionChunk[] = [];
  for await (const ev of readSse(pieces)) chunks.push(...transform.onEvent(ev));
  return { chunks, transform };
}

export interface Assembled {
  content: string;
  toolCalls: { id: string; name: string; arguments: string }[];
  finishReason: FinishReason | null;
  roles: string[];
}

/** What a client accumulating the deltas of choice 0 ends up with. */
export function assemble(chunks: ChatCompletionChunk[]): Assembled {
  const out: Assembled = { content: "", toolCalls: [], finishReason: null, roles: [] };
  for (const c of chunks) {
    for (const ch of c.choices) {
      if (ch.index !== 0) continue;
      if (ch.delta.role) out.roles.push(ch.delta.role);
      if (ch.delta.content) out.content += ch.delta.content;
      for (const tc of ch.delta.tool_calls ?? []) {
        const slot = (out.toolCalls[tc.index] ??= { id: "", name: "", arguments: "" });
        if (tc.id) slot.id = tc.id;
        if (tc.function?.name) slot.name += tc.function.name;
        if (tc.function?.arguments) slot.arguments += tc.function.arguments;
      }
      if (ch.finish_reason) out.finishReason = ch.finish_reason;
    }
  }
  return out;
}
