// Writes the chat pipeline's results in OpenAI's wire format: JSON, or SSE `data:` lines ending with
// `data: [DONE]`; a stream that breaks after its first byte gets a `data: {"error":...}` event instead.
import type { ServerResponse } from "node:http";
import type { GatewayError } from "@gateway/policy/errors";
import type { ChatResponder } from "../pipeline/chat.ts";
import type { ChatCompletion, ChatCompletionChunk, CompletionUsage } from "../providers/openai-types.ts";
import { errorResponse, sendError, sendJson } from "./respond.ts";

export const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
  connection: "keep-alive",
  "x-accel-buffering": "no",
  // The final cost is known only at the end; clients that read trailers get it there.
  trailer: "x-gateway-cost-usd",
};

export class OpenAIResponder implements ChatResponder {
  private lastChunk: ChatCompletionChunk | null = null;
  private gone = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly baseHeaders: Record<string, string>,
  ) {
    res.on("close", () => {
      if (!res.writableFinished) this.gone = true;
    });
  }

  get closed(): boolean {
    return this.gone;
  }

  onClose(fn: () => void): void {
    this.res.on("close", () => {
      if (!this.res.writableFinished) fn();
    });
  }

  json(status: number, headers: Record<string, string>, completion: ChatCompletion): void {
    sendJson(this.res, status, completion, { ...this.baseHeaders, ...headers });
  }

  streamStart(headers: Record<string, string>): void {
    this.res.writeHead(200, { ...this.baseHeaders, ...headers, ...SSE_HEADERS });
    this.res.flushHeaders();
  }

  streamChunk(chunk: ChatCompletionChunk): void {
    this.lastChunk = chunk;
    this.res.write(`data: ${JSON.stringify(chunk)}\n\n`);
  }

  streamEnd(usage: CompletionUsage | null, trailers: Record<string, string>): void {
    if (usage && this.lastChunk) {
      const c = this.lastChunk;
      const final: ChatCompletionChunk = { id: c.id, object: "chat.completion.chunk", created: c.created, model: c.model, choices: [], usage };
      this.res.write(`data: ${JSON.stringify(final)}\n\n`);
    }
    this.res.write("data: [DONE]\n\n");
    this.res.addTrailers(trailers);
    this.res.end();
  }

  streamError(err: GatewayError): void {
    const e = errorResponse(err, "openai");
    this.res.write(`data: ${JSON.stringify(e.body)}\n\n`);
    this.res.end();
  }

  error(err: unknown, headers: Record<string, string>): number {
    return sendError(this.res, err, "openai", { ...this.baseHeaders, ...headers });
  }
}
