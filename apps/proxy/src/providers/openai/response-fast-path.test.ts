// parseOpenAICompletion's hand-written fast path must give exactly what the schema path gives, and never
// accept a payload the schema refuses.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { completionSchema, parseOpenAICompletion } from "./response.ts";

const ctx = { id: "chatcmpl-x", created: 1, model: "m" };
const fixture = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8")) as Record<string, unknown>;
const text = fixture("response-text.json");
const choice = (over: Record<string, unknown> = {}) => ({ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "stop", ...over });

const payloads: Array<[string, unknown]> = [
  ["fixture text", text],
  ["fixture tools", fixture("response-tools-parallel.json")],
  ["minimal", { id: "a", choices: [choice()] }],
  ["usage with details", { id: "a", choices: [choice()], usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5, prompt_tokens_details: { cached_tokens: 1 } } }],
  ["usage details with extra keys", { id: "a", choices: [choice()], usage: { prompt_tokens: 3, prompt_tokens_details: { cached_tokens: 1, audio_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 } } }],
  ["usage null", { id: "a", choices: [choice()], usage: null }],
  ["no index", { id: "a", choices: [{ message: { role: "assistant", content: "x" }, finish_reason: "stop" }] }],
  ["extra top-level keys", { id: "a", object: "chat.completion", model: "up", service_tier: "default", choices: [choice()] }],
  ["extra choice keys", { id: "a", choices: [choice({ extra: 1, logprobs: null })] }],
  ["refusal", { id: "a", choices: [choice({ message: { role: "assistant", content: null, refusal: "no" } })] }],
  ["empty tool calls", { id: "a", choices: [choice({ message: { role: "assistant", content: "x", tool_calls: [] } })] }],
  ["tool call without type", { id: "a", choices: [choice({ message: { role: "assistant", content: null, tool_calls: [{ id: "c", function: { name: "f", arguments: "{}" } }] } })] }],
  ["system fingerprint null", { id: "a", choices: [choice()], system_fingerprint: null }],
  // refused by the schema: the fast path must refuse them too
  ["bad finish reason", { id: "a", choices: [choice({ finish_reason: "weird" })] }],
  ["missing finish reason", { id: "a", choices: [{ index: 0, message: { role: "assistant", content: "x" } }] }],
  ["wrong role", { id: "a", choices: [choice({ message: { role: "user", content: "x" } })] }],
  ["negative tokens", { id: "a", choices: [choice()], usage: { prompt_tokens: -1 } }],
  ["fractional tokens", { id: "a", choices: [choice()], usage: { prompt_tokens: 1.5 } }],
  ["missing prompt tokens", { id: "a", choices: [choice()], usage: { completion_tokens: 1 } }],
  ["created null", { id: "a", created: null, choices: [choice()] }],
  ["id missing", { choices: [choice()] }],
  ["not an object", [1, 2]],
];

describe("parseOpenAICompletion fast path", () => {
  for (const [name, json] of payloads) {
    it(`matches the schema path: ${name}`, () => {
      const schema = completionSchema.safeParse(json);
      let direct: unknown;
      try {
        direct = parseOpenAICompletion("openai", structuredClone(json), ctx);
      } catch (err) {
        direct = { error: (err as Error).message };
      }
      if (!schema.success) {
        expect(direct).toEqual({ error: "openai sent a malformed chat completion" });
        return;
      }
      // The schema's output is itself a payload the transform accepts; its result is the reference.
      expect(direct).toEqual(parseOpenAICompletion("openai", schema.data, ctx));
    });
  }
});
