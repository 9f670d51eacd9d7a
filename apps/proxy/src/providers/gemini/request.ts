// Gemini request transform: OpenAI chat request → generateContent request. Roles become user/model,
// system messages systemInstruction, tools functionDeclarations (JSON Schema as parametersJsonSchema), tool
// calls functionCall parts and tool results functionResponse parts; what Gemini cannot carry is refused.
import { invalidRequest } from "@gateway/policy/errors";
import { contentText, type ChatCompletionRequest, type EmbeddingsRequest } from "../openai-types.ts";
import { joinUrl } from "../openai/request.ts";
import type { UpstreamHttpRequest, UpstreamTarget } from "../types.ts";
import { safeJson } from "../upstream-errors.ts";

type GeminiPart =
  | { text: string }
  | { inlineData: { mimeType: string; data: string } }
  | { fileData: { mimeType: string; fileUri: string } }
  | { functionCall: { name: string; args: unknown } }
  | { functionResponse: { name: string; response: unknown } };

interface GeminiContent {
  role: "user" | "model";
  parts: GeminiPart[];
}

const unsupported = (field: string, what = field) =>
  invalidRequest(field, `${what} is not supported by provider gemini`);

const IMAGE_TYPES: Record<string, string> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  webp: "image/webp",
  gif: "image/gif",
  heic: "image/heic",
};

function imagePart(url: string): GeminiPart {
  const m = /^data:([^;,]+);base64,(.*)$/s.exec(url);
  if (m) return { inlineData: { mimeType: m[1] ?? "image/png", data: m[2] ?? "" } };
  const ext = /\.([a-z0-9]+)(?:[?#]|$)/i.exec(url)?.[1]?.toLowerCase() ?? "";
  return { fileData: { mimeType: IMAGE_TYPES[ext] ?? "image/jpeg", fileUri: url } };
}

function parseArgs(args: string, param: string): unknown {
  try {
    return args.trim() === "" ? {} : JSON.parse(args);
  } catch {
    throw invalidRequest(param, "tool call arguments must be a JSON object string");
  }
}

export function geminiModelPath(baseUrl: string, model: string, method: string): string {
  const base = /\/v1(beta|alpha)?\/?$/.test(baseUrl) ? baseUrl : joinUrl(baseUrl, "/v1beta");
  const name = model.startsWith("models/") ? model : `models/${model}`;
  return joinUrl(base, `/${name}:${method}`);
}

export function toGeminiBody(req: ChatCompletionRequest): Record<string, unknown> {
  if (req.logprobs) throw unsupported("logprobs");
  if (req.top_logprobs != null) throw unsupported("top_logprobs");
  if (req.logit_bias != null) throw unsupported("logit_bias");
  if (req.reasoning_effort != null) throw unsupported("reasoning_effort");
  if (req.parallel_tool_calls === false) throw unsupported("parallel_tool_calls", "parallel_tool_calls=false");
  if (req.stop != null && typeof req.stop !== "string" && req.stop.length > 5) {
    throw invalidRequest("stop", "at most 5 stop sequences for provider gemini");
  }

  const system: string[] = [];
  const contents: GeminiContent[] = [];
  const toolNames = new Map<string, string>();
  const push = (role: "user" | "model", parts: GeminiPart[]) => {
    const last = contents[contents.length - 1];
    if (last && last.role === role) last.parts.push(...parts);
    else contents.push({ role, parts });
  };

  req.messages.forEach((m, i) => {
    switch (m.role) {
      case "system":
      case "developer":
        system.push(contentText(m.content));
        return;
      case "user": {
        if (typeof m.content === "string") return push("user", [{ text: m.content }]);
        const parts = m.content.map((p, j): GeminiPart => {
          if (p.type === "text") return { text: p.text };
          if (p.type === "image_url") return imagePart(p.image_url.url);
          if (p.type === "input_audio") {
            return {
              inlineData: {
                mimeType: p.input_audio.format === "mp3" ? "audio/mp3" : "audio/wav",
                data: p.input_audio.data,
              },
            };
          }
          throw unsupported(`messages[${i}].content[${j}]`, `content part type '${p.type}'`);
        });
        return push("user", parts);
      }
      case "assistant": {
        const parts: GeminiPart[] = [];
        const text = contentText(m.content ?? null);
        if (text !== "") parts.push({ text });
        (m.tool_calls ?? []).forEach((tc, j) => {
          toolNames.set(tc.id, tc.function.name);
          parts.push({
            functionCall: {
              name: tc.function.name,
              args: parseArgs(tc.function.arguments, `messages[${i}].tool_calls[${j}].function.arguments`),
            },
          });
        });
        if (parts.length > 0) push("model", parts);
        return;
      }
      case "tool": {
        const name = toolNames.get(m.tool_call_id);
        if (!name) {
          throw invalidRequest(
            `messages[${i}].tool_call_id`,
            "tool_call_id does not match a tool call of an earlier assistant message",
          );
        }
        const text = contentText(m.content);
        const parsed = safeJson(text);
        // functionResponse.response must be an object; plain text results are wrapped.
        const response =
          typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? parsed : { content: text };
        return push("user", [{ functionResponse: { name, response } }]);
      }
    }
  });

  const generationConfig: Record<string, unknown> = {};
  const maxTokens = req.max_completion_tokens ?? req.max_tokens;
  if (maxTokens != null) generationConfig.maxOutputTokens = maxTokens;
  if (req.temperature != null) generationConfig.temperature = req.temperature;
  if (req.top_p != null) generationConfig.topP = req.top_p;
  if (req.stop != null) generationConfig.stopSequences = typeof req.stop === "string" ? [req.stop] : req.stop;
  if (req.seed != null) generationConfig.seed = req.seed;
  if (req.n != null) generationConfig.candidateCount = req.n;
  if (req.presence_penalty != null) generationConfig.presencePenalty = req.presence_penalty;
  if (req.frequency_penalty != null) generationConfig.frequencyPenalty = req.frequency_penalty;
  const rf = req.response_format;
  if (rf?.type === "json_object") generationConfig.responseMimeType = "application/json";
  if (rf?.type === "json_schema") {
    generationConfig.responseMimeType = "application/json";
    if (rf.json_schema.schema) generationConfig.responseJsonSchema = rf.json_schema.schema;
  }

  const body: Record<string, unknown> = { contents };
  if (system.length > 0) body.systemInstruction = { parts: [{ text: system.join("\n\n") }] };
  if (Object.keys(generationConfig).length > 0) body.generationConfig = generationConfig;
  if (req.tools && req.tools.length > 0) {
    body.tools = [
      {
        functionDeclarations: req.tools.map((t) => ({
          name: t.function.name,
          ...(t.function.description ? { description: t.function.description } : {}),
          ...(t.function.parameters ? { parametersJsonSchema: t.function.parameters } : {}),
        })),
      },
    ];
    const tc = req.tool_choice;
    if (tc !== undefined) {
      body.toolConfig = {
        functionCallingConfig:
          tc === "none"
            ? { mode: "NONE" }
            : tc === "auto"
              ? { mode: "AUTO" }
              : tc === "required"
                ? { mode: "ANY" }
                : { mode: "ANY", allowedFunctionNames: [tc.function.name] },
      };
    }
  } else if (typeof req.tool_choice === "object" || req.tool_choice === "required") {
    throw invalidRequest("tool_choice", "tool_choice requires tools");
  }
  return body;
}

export function buildGeminiRequest(target: UpstreamTarget, req: ChatCompletionRequest): UpstreamHttpRequest {
  const extra: Record<string, string> = {};
  for (const [k, v] of Object.entries(target.headers ?? {})) extra[k.toLowerCase()] = v;
  const url = req.stream
    ? `${geminiModelPath(target.baseUrl, target.upstreamModel, "streamGenerateContent")}?alt=sse`
    : geminiModelPath(target.baseUrl, target.upstreamModel, "generateContent");
  return {
    url,
    headers: { ...extra, "x-goog-api-key": target.apiKey, "content-type": "application/json" },
    body: toGeminiBody(req),
  };
}

export function buildGeminiEmbeddingsRequest(target: UpstreamTarget, req: EmbeddingsRequest): UpstreamHttpRequest {
  if (typeof req.input !== "string" && req.input.some((i) => typeof i !== "string")) {
    throw unsupported("input", "token-id input");
  }
  const texts = typeof req.input === "string" ? [req.input] : (req.input as string[]);
  const model = target.upstreamModel.startsWith("models/") ? target.upstreamModel : `models/${target.upstreamModel}`;
  const extra: Record<string, string> = {};
  for (const [k, v] of Object.entries(target.headers ?? {})) extra[k.toLowerCase()] = v;
  return {
    url: geminiModelPath(target.baseUrl, target.upstreamModel, "batchEmbedContents"),
    headers: { ...extra, "x-goog-api-key": target.apiKey, "content-type": "application/json" },
    body: {
      requests: texts.map((text) => ({
        model,
        content: { parts: [{ text }] },
        ...(req.dimensions ? { outputDimensionality: req.dimensions } : {}),
      })),
    },
  };
}
