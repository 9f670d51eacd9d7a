// POST /v1/messages: Anthropic Messages in and out. The request becomes the canonical OpenAI request, so
// routes, policy and every provider format serve it; the answer is converted back by the responder.
import type { ServerResponse } from "node:http";
import type { ProxyDeps } from "../deps.ts";
import { AnthropicResponder } from "../http/anthropic-responder.ts";
import { anthropicToOpenAIRequest, parseAnthropicMessagesRequest } from "../providers/anthropic-inbound.ts";
import { runChat } from "./chat.ts";
import type { RequestRecord } from "./record.ts";
import { estimateChatInputTokens } from "./tokens.ts";

export async function handleMessages(run: {
  deps: ProxyDeps;
  record: RequestRecord;
  body: unknown;
  res: ServerResponse;
  baseHeaders: Record<string, string>;
}): Promise<void> {
  const anthropic = parseAnthropicMessagesRequest(run.body);
  const body = anthropicToOpenAIRequest(anthropic);
  const responder = new AnthropicResponder(run.res, run.baseHeaders, anthropic.model, estimateChatInputTokens(body));
  await runChat({ deps: run.deps, record: run.record, body, responder, includeUsage: true });
  run.record.requestBody = anthropic;
}
