// What the mock "model" says: deterministic text derived from the prompt, JSON that fits a requested schema,
// tool-call arguments that fit the tool's parameters, and rough token counts (about four characters a token).
import { stripMarkers, type Fault } from "./faults.ts";

/** A provider request reduced to what the answer depends on. */
export interface MockPrompt {
  model: string;
  /** Every text of the conversation, for counting input tokens. */
  allText: string;
  messageCount: number;
  lastUserText: string;
  /** The last turn is a tool result rather than a user message. */
  lastIsToolResult: boolean;
  systemText: string;
  tools: { name: string; parameters: unknown }[];
  /** Tool the request forces: a name, "any" (must call one), or null. */
  forcedTool: string | null;
  json: { schema: unknown } | null;
  maxTokens: number | null;
}

export interface MockToolCall {
  id: string;
  name: string;
  args: unknown;
}

export interface MockAnswer {
  text: string;
  toolCalls: MockToolCall[];
  finish: "stop" | "length" | "tool_calls";
  inputTokens: number;
  outputTokens: number;
}

export function estimateTokens(text: string): number {
  return text === "" ? 0 : Math.max(1, Math.ceil(text.length / 4));
}

function snippet(text: string, max = 80): string {
  const clean = stripMarkers(text);
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

/** A small deterministic value that validates against common JSON-schema shapes. */
export function sampleFromSchema(schema: unknown, hint: string, depth = 0): unknown {
  if (depth > 6 || typeof schema !== "object" || schema === null) return hint;
  const s = schema as Record<string, unknown>;
  if ("const" in s) return s.const;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  for (const key of ["anyOf", "oneOf", "allOf"] as const) {
    const list = s[key];
    if (Array.isArray(list) && list.length > 0) return sampleFromSchema(list[0], hint, depth + 1);
  }
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case "object": {
      const props = (s.properties ?? {}) as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(props)) out[k] = sampleFromSchema(v, `${hint} ${k}`.trim(), depth + 1);
      return out;
    }
    case "array": {
      const n = Math.max(1, typeof s.minItems === "number" ? s.minItems : 1);
      return Array.from({ length: n }, () => sampleFromSchema(s.items, hint, depth + 1));
    }
    case "integer":
      return typeof s.minimum === "number" ? Math.ceil(s.minimum) : 1;
    case "number":
      return typeof s.minimum === "number" ? s.minimum : 1;
    case "boolean":
      return true;
    case "null":
      return null;
    case "string": {
      const min = typeof s.minLength === "number" ? s.minLength : 0;
      const max = typeof s.maxLength === "number" ? s.maxLength : Infinity;
      let v = hint || "mock";
      if (v.length < min) v = v.padEnd(min, ".");
      return v.slice(0, max);
    }
    default:
      if (s.properties) return sampleFromSchema({ ...s, type: "object" }, hint, depth + 1);
      return hint;
  }
}

function toolCallId(seed: string, i: number): string {
  let h = 2166136261;
  for (const ch of `${seed}#${i}`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  return `call_mock${h.toString(16).padStart(8, "0")}${i}`;
}

export function answer(prompt: MockPrompt, fault: Fault | null): MockAnswer {
  const inputTokens = estimateTokens(prompt.allText) + 3 * prompt.messageCount;
  const said = snippet(prompt.lastUserText);

  const toolName = fault?.tool_call ?? prompt.forcedTool;
  if (toolName && prompt.tools.length > 0) {
    const chosen =
      toolName === "*"
        ? prompt.tools
        : toolName === "any"
          ? prompt.tools.slice(0, 1)
          : prompt.tools.filter((t) => t.name === toolName);
    if (chosen.length > 0) {
      const toolCalls = chosen.map((t, i) => ({
        id: toolCallId(`${prompt.model}:${prompt.allText}:${t.name}`, i),
        name: t.name,
        args: sampleFromSchema(t.parameters ?? { type: "object" }, said.slice(0, 40)),
      }));
      const outputTokens = toolCalls.reduce((n, c) => n + estimateTokens(c.name + JSON.stringify(c.args)), 0);
      return { text: "", toolCalls, finish: "tool_calls", inputTokens, outputTokens };
    }
  }

  let text: string;
  if (fault?.text !== undefined) text = fault.text;
  else if (fault?.invalid_json) text = '{"answer": "this JSON is cut off';
  else if (prompt.json) {
    text = JSON.stringify(
      prompt.json.schema
        ? sampleFromSchema(prompt.json.schema, said)
        : { answer: `Mock reply from ${prompt.model}`, echo: said },
    );
  } else if (prompt.lastIsToolResult) text = `Mock reply from ${prompt.model}. The tool returned: ${said}`;
  else text = `Mock reply from ${prompt.model}. You said: ${said}`;

  let finish: MockAnswer["finish"] = "stop";
  if (prompt.maxTokens !== null && estimateTokens(text) > prompt.maxTokens) {
    text = text.slice(0, prompt.maxTokens * 4);
    finish = "length";
  }
  return { text, toolCalls: [], finish, inputTokens, outputTokens: estimateTokens(text) };
}

/** Splits text into stream deltas. */
export function chunkText(text: string, size: number): string[] {
  if (text === "") return [];
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

/** Bag-of-words hashed into `dims` buckets and L2-normalised: same text → same vector, similar → close. */
export function embed(text: string, dims: number): number[] {
  const v = new Array<number>(dims).fill(0);
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  for (const w of words) {
    let h = 2166136261;
    for (const ch of w) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
    v[h % dims]! += 1;
  }
  if (words.length === 0) v[0] = 1;
  const norm = Math.sqrt(v.reduce((a, b) => a + b * b, 0));
  return v.map((x) => Number((x / norm).toFixed(6)));
}
