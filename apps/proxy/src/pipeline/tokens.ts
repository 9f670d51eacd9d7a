// Input token estimates for admission (TPM, budget reservation) and the route's max-input check, before
// any provider has counted. Four characters per token is the usual rule of thumb for English text and
// JSON; providers' own counts replace the estimate in the log once a call returns usage.
const CHARS_PER_TOKEN = 4;
const PER_MESSAGE_OVERHEAD = 4;

function textLength(content: unknown): number {
  if (typeof content === "string") return content.length;
  if (Array.isArray(content)) {
    let n = 0;
    for (const part of content) {
      if (part && typeof part === "object" && "text" in part && typeof part.text === "string") n += part.text.length;
      else if (part && typeof part === "object") n += 85 * CHARS_PER_TOKEN; // an image part: OpenAI's low-detail cost
    }
    return n;
  }
  return content === null || content === undefined ? 0 : JSON.stringify(content).length;
}

export function estimateChatInputTokens(body: { messages: readonly unknown[]; tools?: unknown }): number {
  let chars = 0;
  let messages = 0;
  for (const m of body.messages) {
    messages++;
    if (m && typeof m === "object") {
      const msg = m as { content?: unknown; tool_calls?: unknown };
      chars += textLength(msg.content);
      if (msg.tool_calls) chars += JSON.stringify(msg.tool_calls).length;
    }
  }
  if (body.tools) chars += JSON.stringify(body.tools).length;
  return Math.ceil(chars / CHARS_PER_TOKEN) + messages * PER_MESSAGE_OVERHEAD;
}

export function estimateEmbeddingInputTokens(input: unknown): number {
  if (typeof input === "string") return Math.ceil(input.length / CHARS_PER_TOKEN);
  if (Array.isArray(input)) {
    let n = 0;
    for (const x of input) n += typeof x === "string" ? Math.ceil(x.length / CHARS_PER_TOKEN) : Array.isArray(x) ? x.length : 1;
    return n;
  }
  return 0;
}
