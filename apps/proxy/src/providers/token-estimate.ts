// Token counts for when a provider reports none (usage omitted, stream cut): o200k_base via js-tiktoken's
// lite build, loaded on first use so a proxy that never needs it never pays for the ranks table.
import type { Tiktoken } from "js-tiktoken/lite";
import { contentText, type ChatCompletionRequest } from "./openai-types.ts";

let encoder: Promise<Tiktoken> | null = null;

function getEncoder(): Promise<Tiktoken> {
  encoder ??= (async () => {
    const [{ Tiktoken }, { default: ranks }] = await Promise.all([
      import("js-tiktoken/lite"),
      import("js-tiktoken/ranks/o200k_base"),
    ]);
    return new Tiktoken(ranks);
  })();
  return encoder;
}

/** Loads the ranks table now (about a second) so the first request that needs an estimate does not wait. */
export async function warmTokenizer(): Promise<void> {
  await getEncoder();
}

export async function countTokens(text: string): Promise<number> {
  if (text === "") return 0;
  const enc = await getEncoder();
  return enc.encode(text).length;
}

/** Roughly what OpenAI bills for the prompt: message text, tool definitions, and a few tokens per message. */
export async function estimateChatInputTokens(req: ChatCompletionRequest): Promise<number> {
  const parts: string[] = [];
  for (const m of req.messages) {
    parts.push(m.role);
    parts.push(contentText(m.content ?? null));
    if (m.role === "assistant" && m.tool_calls) {
      for (const tc of m.tool_calls) parts.push(tc.function.name, tc.function.arguments);
    }
  }
  if (req.tools) parts.push(JSON.stringify(req.tools));
  if (req.response_format?.type === "json_schema") parts.push(JSON.stringify(req.response_format.json_schema));
  const text = await countTokens(parts.join("\n"));
  return text + 3 * req.messages.length + 3;
}

export async function estimateOutputTokens(
  text: string,
  toolCalls: { name: string; arguments: string }[],
): Promise<number> {
  return countTokens([text, ...toolCalls.flatMap((t) => [t.name, t.arguments])].join("\n"));
}
