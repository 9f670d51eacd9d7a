// Writes the chat pipeline's results as Anthropic Messages: a message object, or the event sequence
// (message_start … message_stop) built from the OpenAI chunks by the inbound converter; a stream that
// breaks after its first byte ends with an `error` event.
import type { ServerResponse } from "node:http";
import type { GatewayError } from "@gateway/policy/errors";
import type { ChatResponder } from "../pipeline/chat.ts";
import {
  anthropicErrorEvent,
  formatAnthropicSse,
  openAIChunksToAnthropicEvents,
  openAIToAnthropicResponse,
  toAnthropicError,
} from "../providers/anthropic-inbound.ts";
import type { ChatCompletion, ChatCompletionChunk, CompletionUsage } from "../providers/openai-types.ts";
import { sendJson } from "./respond.ts";

/** Push-to-pull bridge: the pipeline pushes chunks, the converter pulls them. */
class ChunkQueue implements AsyncIterable<ChatCompletionChunk> {
  private items: ChatCompletionChunk[] = [];
  private done = false;
  private failure: unknown = null;
  private wake: (() => void) | null = null;

  push(c: ChatCompletionChunk): void {
    this.items.push(c);
    this.wake?.();
  }
  end(): void {
    this.done = true;
    this.wake?.();
  }
  fail(err: unknown): void {
    this.failure = err;
    this.done = true;
    this.wake?.();
  }
  async *[Symbol.asyncIterator](): AsyncIterator<ChatCompletionChunk> {
    for (;;) {
      const next = this.items.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.failure) throw this.failure;
      if (this.done) return;
      await new Promise<void>((r) => (this.wake = r));
      this.wake = null;
    }
  }
}

export class AnthropicResponder implements ChatResponder {
  private gone = false;
  private queue: ChunkQueue | null = null;
  private pump: Promise<void> | null = null;
  private lastChunk: ChatCompletionChunk | null = null;

  constructor(
    private readonly res: ServerResponse,
    private readonly baseHeaders: Record<string, string>,
    private readonly model: string,
    private readonly inputTokensEstimate: number,
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
    sendJson(this.res, status, { ...openAIToAnthropicResponse(completion), model: this.model }, { ...this.baseHeaders, ...headers });
  }

  streamStart(headers: Record<string, string>): void {
    this.res.writeHead(200, {
      ...this.baseHeaders,
      ...headers,
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    const queue = new ChunkQueue();
    this.queue = queue;
    this.pump = (async () => {
      try {
        for await (const ev of openAIChunksToAnthropicEvents(queue, { model: this.model, inputTokensEstimate: this.inputTokensEstimate })) {
          this.res.write(formatAnthropicSse(ev));
        }
      } catch (err) {
        this.res.write(formatAnthropicSse(anthropicErrorEvent(err)));
      }
      this.res.end();
    })();
  }

  streamChunk(chunk: ChatCompletionChunk): void {
    this.lastChunk = chunk;
    this.queue?.push(chunk);
  }

  async streamEnd(usage: CompletionUsage | null): Promise<void> {
    const c = this.lastChunk;
    if (usage && c) this.queue?.push({ id: c.id, object: "chat.completion.chunk", created: c.created, model: c.model, choices: [], usage });
    this.queue?.end();
    await this.pump;
  }

  async streamError(err: GatewayError): Promise<void> {
    this.queue?.fail(err);
    await this.pump;
  }

  error(err: unknown, headers: Record<string, string>): number {
    const e = toAnthropicError(err);
    sendJson(this.res, e.status, e.body, { ...this.baseHeaders, ...headers, ...e.headers });
    return e.status;
  }
}
