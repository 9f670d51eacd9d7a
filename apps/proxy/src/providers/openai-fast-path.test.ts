// The hand-written fast path of parseChatCompletionRequest must agree with the schema on every input: the
// same accepted value, and for a refused body the same 400 (field and message), which comes from the schema.
import { describe, expect, it } from "vitest";
import { type GatewayError } from "@gateway/policy/errors";
import { chatCompletionRequestSchema, parseChatCompletionRequest, zodToInvalidRequest } from "./openai-types.ts";

function viaSchema(body: unknown): unknown {
  const parsed = chatCompletionRequestSchema.safeParse(body);
  if (!parsed.success) {
    try {
      zodToInvalidRequest(parsed.error);
    } catch (err) {
      const g = err as GatewayError;
      return { error: { code: g.code, param: g.param, message: g.message, status: g.httpStatus } };
    }
  }
  return parsed.data;
}
function viaParser(body: unknown): unknown {
  try {
    return parseChatCompletionRequest(body);
  } catch (err) {
    const g = err as GatewayError;
    return { error: { code: g.code, param: g.param, message: g.message, status: g.httpStatus } };
  }
}

const base = { model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }] };
const variants: Array<[string, unknown]> = [
  ["common", base],
  ["system + assistant + name", { ...base, messages: [{ role: "system", content: "be brief" }, { role: "user", content: "a", name: "bob" }, { role: "assistant", content: "b" }] }],
  ["scalars", { ...base, max_tokens: 64, temperature: 0.2, top_p: 1, stream: true, stream_options: { include_usage: true }, stop: ["x"], seed: 3, n: 1, user: "u" }],
  ["nulls", { ...base, max_tokens: null, temperature: null, stream: null, stream_options: null, stop: null }],
  ["empty model", { ...base, model: "" }],
  ["no messages", { model: "m", messages: [] }],
  ["missing messages", { model: "m" }],
  ["missing model", { messages: base.messages }],
  ["unknown field", { ...base, foo: 1 }],
  ["proto field", JSON.parse('{"model":"m","messages":[{"role":"user","content":"x"}],"__proto__":{"x":1}}')],
  ["constructor field", { ...base, constructor: 1 }],
  ["toString field", { ...base, toString: "x" }],
  ["bad temperature", { ...base, temperature: 3 }],
  ["negative max_tokens", { ...base, max_tokens: -1 }],
  ["fractional max_tokens", { ...base, max_tokens: 1.5 }],
  ["huge max_tokens", { ...base, max_tokens: 2 ** 60 }],
  ["zero max_tokens", { ...base, max_tokens: 0 }],
  ["string max_tokens", { ...base, max_tokens: "5" }],
  ["too many stops", { ...base, stop: ["a", "b", "c", "d", "e"] }],
  ["stop not strings", { ...base, stop: [1] }],
  ["stream_options extra key", { ...base, stream_options: { include_usage: true, x: 1 } }],
  ["stream_options bad value", { ...base, stream_options: { include_usage: "yes" } }],
  ["n out of range", { ...base, n: 200 }],
  ["parallel_tool_calls null", { ...base, parallel_tool_calls: null }],
  ["user null", { ...base, user: null }],
  ["message extra key", { ...base, messages: [{ role: "user", content: "x", extra: 1 }] }],
  ["message null name", { ...base, messages: [{ role: "user", content: "x", name: null }] }],
  ["tool message", { ...base, messages: [{ role: "tool", content: "x", tool_call_id: "c1" }] }],
  ["tool message without id", { ...base, messages: [{ role: "tool", content: "x" }] }],
  ["unknown role", { ...base, messages: [{ role: "robot", content: "x" }] }],
  ["content parts", { ...base, messages: [{ role: "user", content: [{ type: "text", text: "x" }] }] }],
  ["content number", { ...base, messages: [{ role: "user", content: 5 }] }],
  ["assistant null content", { ...base, messages: [{ role: "assistant", content: null }] }],
  ["message not object", { ...base, messages: ["hi"] }],
  ["tools", { ...base, tools: [{ type: "function", function: { name: "f", parameters: { type: "object" } } }] }],
  ["metadata", { ...base, metadata: { a: "b" } }],
  ["frequency_penalty edge", { ...base, frequency_penalty: -2, presence_penalty: 2 }],
  ["logprobs", { ...base, logprobs: true, top_logprobs: 3 }],
];

describe("parseChatCompletionRequest fast path", () => {
  for (const [name, body] of variants) {
    it(`agrees with the schema: ${name}`, () => {
      expect(viaParser(body)).toEqual(viaSchema(body));
    });
  }
});
