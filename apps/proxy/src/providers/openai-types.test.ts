// The client request boundary: what is accepted, and that every refusal names the field.
import { describe, expect, it } from "vitest";
import { GatewayError } from "@gateway/policy/errors";
import { parseChatCompletionRequest, parseEmbeddingsRequest } from "./openai-types.ts";

function paramOf(body: unknown, parse: (b: unknown) => unknown = parseChatCompletionRequest): string | null {
  try {
    parse(body);
  } catch (err) {
    if (err instanceof GatewayError && err.httpStatus === 400) return err.param;
    throw err;
  }
  throw new Error("expected a 400");
}

const ok = { model: "support-summary", messages: [{ role: "user", content: "hi" }] };

describe("chat completion request schema", () => {
  it("accepts the documented fields", () => {
    const req = parseChatCompletionRequest({
      ...ok,
      messages: [
        { role: "developer", content: "be brief" },
        {
          role: "user",
          content: [
            { type: "text", text: "look" },
            { type: "image_url", image_url: { url: "https://x/y.png", detail: "low" } },
          ],
        },
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: "{}" } }],
        },
        { role: "tool", tool_call_id: "c1", content: "done" },
      ],
      tools: [{ type: "function", function: { name: "f", parameters: { type: "object" } } }],
      tool_choice: { type: "function", function: { name: "f" } },
      parallel_tool_calls: false,
      response_format: { type: "json_schema", json_schema: { name: "x", schema: { type: "object" }, strict: true } },
      max_tokens: 10,
      max_completion_tokens: 10,
      temperature: 0.2,
      top_p: 1,
      stop: ["x"],
      seed: 1,
      n: 1,
      stream: true,
      stream_options: { include_usage: true },
      user: "u",
      metadata: { a: "b" },
    });
    expect(req.messages).toHaveLength(4);
  });

  it("names an unknown top-level field", () => {
    expect(paramOf({ ...ok, temprature: 1 })).toBe("temprature");
  });

  it("names a nested field of the wrong type", () => {
    expect(paramOf({ ...ok, messages: [{ role: "user", content: 5 }] })).toBe("messages[0].content");
  });

  it("names an out-of-range parameter instead of clamping it", () => {
    expect(paramOf({ ...ok, temperature: 3 })).toBe("temperature");
  });

  it("requires at least one message", () => {
    expect(paramOf({ model: "m", messages: [] })).toBe("messages");
  });

  it("refuses a body that is not an object", () => {
    expect(paramOf([1, 2])).toBe("body");
  });
});

describe("embeddings request schema", () => {
  it("accepts strings and token arrays and names bad input", () => {
    expect(parseEmbeddingsRequest({ model: "e", input: ["a", "b"], dimensions: 8 }).input).toEqual(["a", "b"]);
    expect(parseEmbeddingsRequest({ model: "e", input: [1, 2] }).input).toEqual([1, 2]);
    expect(paramOf({ model: "e", input: 5 }, parseEmbeddingsRequest)).toBe("input");
  });
});
