// The gateway's canonical shape: OpenAI Chat Completions and Embeddings. Clients speak it, every adapter
// translates from and to it. The request schemas are the proxy's boundary: they reject what they don't know
// (by field name) instead of dropping it, because a silently ignored parameter changes behaviour unnoticed.
import { z } from "zod";
import { invalidRequest } from "@gateway/policy/errors";

const textPartSchema = z.object({ type: z.literal("text"), text: z.string() }).strict();
const imagePartSchema = z
  .object({
    type: z.literal("image_url"),
    image_url: z.object({ url: z.string().min(1), detail: z.enum(["auto", "low", "high"]).optional() }).strict(),
  })
  .strict();
// Accepted so OpenAI upstreams get them; adapters that cannot carry them reject with a 400.
const audioPartSchema = z
  .object({
    type: z.literal("input_audio"),
    input_audio: z.object({ data: z.string().min(1), format: z.enum(["wav", "mp3"]) }).strict(),
  })
  .strict();
const filePartSchema = z
  .object({
    type: z.literal("file"),
    file: z
      .object({ file_id: z.string().optional(), file_data: z.string().optional(), filename: z.string().optional() })
      .strict(),
  })
  .strict();

export const contentPartSchema = z.discriminatedUnion("type", [
  textPartSchema,
  imagePartSchema,
  audioPartSchema,
  filePartSchema,
]);
export type ContentPart = z.infer<typeof contentPartSchema>;

const toolCallSchema = z
  .object({
    id: z.string().min(1),
    type: z.literal("function"),
    function: z.object({ name: z.string().min(1), arguments: z.string() }).strict(),
  })
  .strict();
export type ToolCall = z.infer<typeof toolCallSchema>;

const systemMessageSchema = z
  .object({
    role: z.enum(["system", "developer"]),
    content: z.union([z.string(), z.array(textPartSchema)]),
    name: z.string().optional(),
  })
  .strict();
const userMessageSchema = z
  .object({
    role: z.literal("user"),
    content: z.union([z.string(), z.array(contentPartSchema)]),
    name: z.string().optional(),
  })
  .strict();
const assistantMessageSchema = z
  .object({
    role: z.literal("assistant"),
    content: z.union([z.string(), z.array(textPartSchema), z.null()]).optional(),
    tool_calls: z.array(toolCallSchema).optional(),
    name: z.string().optional(),
    refusal: z.string().nullable().optional(),
  })
  .strict();
const toolMessageSchema = z
  .object({
    role: z.literal("tool"),
    content: z.union([z.string(), z.array(textPartSchema)]),
    tool_call_id: z.string().min(1),
  })
  .strict();

export const chatMessageSchema = z.discriminatedUnion("role", [
  systemMessageSchema,
  userMessageSchema,
  assistantMessageSchema,
  toolMessageSchema,
]);
export type ChatMessage = z.infer<typeof chatMessageSchema>;

const functionToolSchema = z
  .object({
    type: z.literal("function"),
    function: z
      .object({
        name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/, "function names are 1-64 letters, digits, _ or -"),
        description: z.string().optional(),
        parameters: z.record(z.string(), z.unknown()).optional(),
        strict: z.boolean().nullable().optional(),
      })
      .strict(),
  })
  .strict();
export type FunctionTool = z.infer<typeof functionToolSchema>;

const toolChoiceSchema = z.union([
  z.enum(["none", "auto", "required"]),
  z.object({ type: z.literal("function"), function: z.object({ name: z.string().min(1) }).strict() }).strict(),
]);
export type ToolChoice = z.infer<typeof toolChoiceSchema>;

const responseFormatSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("text") }).strict(),
  z.object({ type: z.literal("json_object") }).strict(),
  z
    .object({
      type: z.literal("json_schema"),
      json_schema: z
        .object({
          name: z.string().min(1),
          description: z.string().optional(),
          schema: z.record(z.string(), z.unknown()).optional(),
          strict: z.boolean().nullable().optional(),
        })
        .strict(),
    })
    .strict(),
]);
export type ResponseFormat = z.infer<typeof responseFormatSchema>;

export const chatCompletionRequestSchema = z
  .object({
    model: z.string().min(1),
    messages: z.array(chatMessageSchema).min(1, "messages must contain at least one message"),
    tools: z.array(functionToolSchema).optional(),
    tool_choice: toolChoiceSchema.optional(),
    parallel_tool_calls: z.boolean().optional(),
    response_format: responseFormatSchema.optional(),
    max_tokens: z.number().int().positive().nullable().optional(),
    max_completion_tokens: z.number().int().positive().nullable().optional(),
    temperature: z.number().min(0).max(2).nullable().optional(),
    top_p: z.number().min(0).max(1).nullable().optional(),
    stop: z
      .union([z.string(), z.array(z.string()).max(4)])
      .nullable()
      .optional(),
    seed: z.number().int().nullable().optional(),
    n: z.number().int().min(1).max(128).nullable().optional(),
    stream: z.boolean().nullable().optional(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).strict().nullable().optional(),
    user: z.string().optional(),
    metadata: z.record(z.string(), z.string()).optional(),
    // Passed through to OpenAI-format upstreams; other adapters reject them rather than ignore them.
    frequency_penalty: z.number().min(-2).max(2).nullable().optional(),
    presence_penalty: z.number().min(-2).max(2).nullable().optional(),
    logit_bias: z.record(z.string(), z.number()).nullable().optional(),
    logprobs: z.boolean().nullable().optional(),
    top_logprobs: z.number().int().min(0).max(20).nullable().optional(),
    reasoning_effort: z.enum(["minimal", "low", "medium", "high"]).nullable().optional(),
  })
  .strict();
export type ChatCompletionRequest = z.infer<typeof chatCompletionRequestSchema>;

export const embeddingsRequestSchema = z
  .object({
    model: z.string().min(1),
    input: z.union([
      z.string(),
      z.array(z.string()).min(1),
      z.array(z.number().int()).min(1),
      z.array(z.array(z.number().int()).min(1)).min(1),
    ]),
    encoding_format: z.enum(["float", "base64"]).optional(),
    dimensions: z.number().int().positive().optional(),
    user: z.string().optional(),
  })
  .strict();
export type EmbeddingsRequest = z.infer<typeof embeddingsRequestSchema>;

/** Zod path → the `param` OpenAI reports: `messages[0].content`. */
export function formatParam(path: readonly PropertyKey[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += out === "" ? String(seg) : `.${String(seg)}`;
  }
  return out;
}

/** Throws the first problem as an invalidRequest naming the field. */
export function zodToInvalidRequest(error: z.ZodError): never {
  const issue = error.issues[0];
  if (!issue) throw invalidRequest("body", "invalid request body");
  if (issue.code === "unrecognized_keys") {
    const key = issue.keys[0] ?? "";
    const param = formatParam([...issue.path, key]);
    throw invalidRequest(param, `Unrecognized request argument supplied: ${param}`);
  }
  const param = formatParam(issue.path) || "body";
  throw invalidRequest(param, `Invalid value for '${param}': ${issue.message}`);
}

// The fast path: the common request (plain text messages and a few scalar options) checked by hand, which
// is several times cheaper than the schema. Everything it accepts the schema accepts too, unchanged (no
// defaults or transforms apply to these fields); anything else, valid or not, goes through the schema, so
// every error message still comes from it.
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const nullish = (v: unknown) => v === null || v === undefined;
const numIn = (v: unknown, min: number, max: number) => nullish(v) || (typeof v === "number" && v >= min && v <= max);
const posInt = (v: unknown) => nullish(v) || (typeof v === "number" && Number.isSafeInteger(v) && v > 0);
const FAST_SCALARS: Record<string, (v: unknown) => boolean> = {
  max_tokens: posInt,
  max_completion_tokens: posInt,
  temperature: (v) => numIn(v, 0, 2),
  top_p: (v) => numIn(v, 0, 1),
  frequency_penalty: (v) => numIn(v, -2, 2),
  presence_penalty: (v) => numIn(v, -2, 2),
  seed: (v) => nullish(v) || (typeof v === "number" && Number.isSafeInteger(v)),
  n: (v) => nullish(v) || (typeof v === "number" && Number.isSafeInteger(v) && v >= 1 && v <= 128),
  stream: (v) => nullish(v) || typeof v === "boolean",
  logprobs: (v) => nullish(v) || typeof v === "boolean",
  parallel_tool_calls: (v) => v === undefined || typeof v === "boolean",
  user: (v) => v === undefined || typeof v === "string",
  stop: (v) => nullish(v) || typeof v === "string" || (Array.isArray(v) && v.length <= 4 && v.every((x) => typeof x === "string")),
  stream_options: (v) => {
    if (nullish(v)) return true;
    if (!isObject(v)) return false;
    for (const k in v) if (k !== "include_usage" || (v[k] !== undefined && typeof v[k] !== "boolean")) return false;
    return true;
  },
};
const FAST_ROLES: ReadonlySet<unknown> = new Set(["system", "developer", "user", "assistant"]);

function isPlainTextMessage(m: unknown): boolean {
  if (!isObject(m) || !FAST_ROLES.has(m.role) || typeof m.content !== "string") return false;
  for (const k in m) {
    if (k === "role" || k === "content") continue;
    if (k === "name" && (m.name === undefined || typeof m.name === "string")) continue;
    return false;
  }
  return true;
}

function isCommonChatRequest(body: Record<string, unknown>): body is ChatCompletionRequest {
  for (const k in body) {
    const v = body[k];
    if (k === "model") {
      if (typeof v !== "string" || v.length === 0) return false;
    } else if (k === "messages") {
      if (!Array.isArray(v) || v.length === 0) return false;
      for (const m of v) if (!isPlainTextMessage(m)) return false;
    } else {
      const check = FAST_SCALARS[k];
      if (!check || !Object.hasOwn(FAST_SCALARS, k) || !check(v)) return false;
    }
  }
  return typeof body.model === "string" && Array.isArray(body.messages);
}

export function parseChatCompletionRequest(body: unknown): ChatCompletionRequest {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw invalidRequest("body", "the request body must be a JSON object");
  }
  if (isCommonChatRequest(body as Record<string, unknown>)) return body as ChatCompletionRequest;
  const parsed = chatCompletionRequestSchema.safeParse(body);
  if (!parsed.success) zodToInvalidRequest(parsed.error);
  return parsed.data;
}

export function parseEmbeddingsRequest(body: unknown): EmbeddingsRequest {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw invalidRequest("body", "the request body must be a JSON object");
  }
  const parsed = embeddingsRequestSchema.safeParse(body);
  if (!parsed.success) zodToInvalidRequest(parsed.error);
  return parsed.data;
}

// ---- responses (produced by the gateway, so plain types) ----

export type FinishReason = "stop" | "length" | "tool_calls" | "content_filter" | "function_call";

export interface CompletionUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens?: number };
  completion_tokens_details?: { reasoning_tokens?: number };
}

export interface ChatCompletionMessage {
  role: "assistant";
  content: string | null;
  refusal?: string | null;
  tool_calls?: ToolCall[];
}

export interface ChatCompletionChoice {
  index: number;
  message: ChatCompletionMessage;
  finish_reason: FinishReason | null;
  logprobs?: unknown;
}

export interface ChatCompletion {
  id: string;
  object: "chat.completion";
  created: number;
  model: string;
  choices: ChatCompletionChoice[];
  usage?: CompletionUsage;
  system_fingerprint?: string | null;
  service_tier?: string | null;
}

export interface ChatCompletionChunkToolCall {
  index: number;
  id?: string;
  type?: "function";
  function?: { name?: string; arguments?: string };
}

export interface ChatCompletionChunkChoice {
  index: number;
  delta: {
    role?: "assistant";
    content?: string | null;
    refusal?: string | null;
    tool_calls?: ChatCompletionChunkToolCall[];
  };
  finish_reason: FinishReason | null;
  logprobs?: unknown;
}

export interface ChatCompletionChunk {
  id: string;
  object: "chat.completion.chunk";
  created: number;
  model: string;
  choices: ChatCompletionChunkChoice[];
  usage?: CompletionUsage | null;
  system_fingerprint?: string | null;
}

export interface Embedding {
  object: "embedding";
  index: number;
  embedding: number[] | string;
}

export interface EmbeddingsResponse {
  object: "list";
  data: Embedding[];
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}

/** The text of a message's content, parts joined; non-text parts are not text. */
export function contentText(content: string | readonly { type: string; text?: string }[] | null | undefined): string {
  if (content == null) return "";
  if (typeof content === "string") return content;
  return content
    .filter((p) => p.type === "text")
    .map((p) => p.text ?? "")
    .join("");
}
