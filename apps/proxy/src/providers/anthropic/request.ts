// Anthropic request transform: OpenAI chat request → Messages API request. System messages move to
// `system`, tool calls become tool_use blocks, tool messages one tool_result turn, and what Anthropic cannot
// carry (n > 1, logprobs, penalties, seed, audio) is refused by field instead of dropped.
import { invalidRequest } from "@gateway/policy/errors";
import { contentText, type ChatCompletionRequest } from "../openai-types.ts";
import { joinUrl } from "../openai/request.ts";
import type { UpstreamHttpRequest, UpstreamTarget } from "../types.ts";

export const ANTHROPIC_VERSION = "2023-06-01";
/** Anthropic requires max_tokens; OpenAI clients often omit it. */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 4096;

type AnthropicBlock =
  | { type: "text"; text: string }
  | { type: "image"; source: { type: "base64"; media_type: string; data: string } | { type: "url"; url: string } }
  | { type: "tool_use"; id: string; name: string; input: unknown }
  | { type: "tool_result"; tool_use_id: string; content: string };

interface AnthropicMessage {
  role: "user" | "assistant";
  content: AnthropicBlock[];
}

const unsupported = (field: string, what = field) =>
  invalidRequest(field, `${what} is not supported by provider anthropic`);

export function imageBlockFromUrl(url: string): AnthropicBlock {
  const m = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  if (m) return { type: "image", source: { type: "base64", media_type: m[1] ?? "image/png", data: m[2] ?? "" } };
  return { type: "image", source: { type: "url", url } };
}

function parseArguments(args: string, param: string): unknown {
  try {
    return args.trim() === "" ? {} : JSON.parse(args);
  } catch {
    throw invalidRequest(param, "tool call arguments must be a JSON object string");
  }
}

export function toAnthropicBody(target: UpstreamTarget, req: ChatCompletionRequest): Record<string, unknown> {
  if (req.n != null && req.n > 1) throw unsupported("n", "n > 1");
  if (req.logprobs) throw unsupported("logprobs");
  if (req.top_logprobs != null) throw unsupported("top_logprobs");
  if (req.logit_bias != null) throw unsupported("logit_bias");
  if (req.frequency_penalty != null) throw unsupported("frequency_penalty");
  if (req.presence_penalty != null) throw unsupported("presence_penalty");
  if (req.seed != null) throw unsupported("seed");
  if (req.reasoning_effort != null) throw unsupported("reasoning_effort");
  if (req.temperature != null && req.temperature > 1) {
    throw invalidRequest("temperature", "temperature must be between 0 and 1 for provider anthropic");
  }

  const system: string[] = [];
  const messages: AnthropicMessage[] = [];
  const push = (role: "user" | "assistant", blocks: AnthropicBlock[]) => {
    const last = messages[messages.length - 1];
    // Anthropic wants alternating turns; OpenAI allows runs (several tool results, user after tool).
    if (last && last.role === role) last.content.push(...blocks);
    else messages.push({ role, content: blocks });
  };

  req.messages.forEach((m, i) => {
    switch (m.role) {
      case "system":
      case "developer":
        system.push(contentText(m.content));
        return;
      case "user": {
        if (typeof m.content === "string") return push("user", [{ type: "text", text: m.content }]);
        const blocks = m.content.map((p, j): AnthropicBlock => {
          if (p.type === "text") return { type: "text", text: p.text };
          if (p.type === "image_url") return imageBlockFromUrl(p.image_url.url);
          throw unsupported(`messages[${i}].content[${j}]`, `content part type '${p.type}'`);
        });
        return push("user", blocks);
      }
      case "assistant": {
        const blocks: AnthropicBlock[] = [];
        const text = contentText(m.content ?? null);
        if (text !== "") blocks.push({ type: "text", text });
        (m.tool_calls ?? []).forEach((tc, j) =>
          blocks.push({
            type: "tool_use",
            id: tc.id,
            name: tc.function.name,
            input: parseArguments(tc.function.arguments, `messages[${i}].tool_calls[${j}].function.arguments`),
          }),
        );
        if (blocks.length === 0) return;
        return push("assistant", blocks);
      }
      case "tool":
        return push("user", [{ type: "tool_result", tool_use_id: m.tool_call_id, content: contentText(m.content) }]);
    }
  });

  const rf = req.response_format;
  if (rf?.type === "json_object") {
    system.push("Respond with a single JSON object and nothing else.");
  } else if (rf?.type === "json_schema") {
    // No native JSON mode: the instruction carries the schema and the route's validator checks the result.
    system.push(
      `Respond with a single JSON value and nothing else. It must validate against this JSON schema:\n${JSON.stringify(rf.json_schema.schema ?? {})}`,
    );
  }

  const body: Record<string, unknown> = {
    model: target.upstreamModel,
    max_tokens: req.max_completion_tokens ?? req.max_tokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS,
    messages,
  };
  if (system.length > 0) body.system = system.join("\n\n");
  if (req.temperature != null) body.temperature = req.temperature;
  if (req.top_p != null) body.top_p = req.top_p;
  if (req.stop != null) body.stop_sequences = typeof req.stop === "string" ? [req.stop] : req.stop;
  if (req.user) body.metadata = { user_id: req.user };
  if (req.stream) body.stream = true;

  // Tools stay declared under tool_choice "none": Anthropic refuses tool_use blocks in the history otherwise.
  if (req.tools && req.tools.length > 0) {
    body.tools = req.tools.map((t) => ({
      name: t.function.name,
      ...(t.function.description ? { description: t.function.description } : {}),
      input_schema: t.function.parameters ?? { type: "object", properties: {} },
    }));
    const tc = req.tool_choice;
    const choice: Record<string, unknown> =
      tc === "required"
        ? { type: "any" }
        : typeof tc === "object"
          ? { type: "tool", name: tc.function.name }
          : tc === "none"
            ? { type: "none" }
            : { type: "auto" };
    if (req.parallel_tool_calls === false && tc !== "none") choice.disable_parallel_tool_use = true;
    if (tc !== undefined || req.parallel_tool_calls === false) body.tool_choice = choice;
  } else if (typeof req.tool_choice === "object" || req.tool_choice === "required") {
    throw invalidRequest("tool_choice", "tool_choice requires tools");
  }
  return body;
}

export function messagesUrl(baseUrl: string): string {
  return /\/v1\/?$/.test(baseUrl) ? joinUrl(baseUrl, "/messages") : joinUrl(baseUrl, "/v1/messages");
}

export function buildAnthropicRequest(target: UpstreamTarget, req: ChatCompletionRequest): UpstreamHttpRequest {
  const extra: Record<string, string> = {};
  for (const [k, v] of Object.entries(target.headers ?? {})) extra[k.toLowerCase()] = v;
  return {
    url: messagesUrl(target.baseUrl),
    headers: {
      ...extra,
      "x-api-key": target.apiKey,
      "anthropic-version": target.apiVersion || ANTHROPIC_VERSION,
      "content-type": "application/json",
      accept: req.stream ? "text/event-stream" : "application/json",
    },
    body: toAnthropicBody(target, req),
  };
}
