// HTTP plumbing shared by the mock's provider dialects: JSON replies, SSE streams that honour the stream
// faults (slow first token, pacing, cut connection, in-stream error), and the pre-response faults (delay,
// error status with Retry-After).
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Fault } from "./faults.ts";

export function sleep(ms: number, res?: ServerResponse): Promise<void> {
  return new Promise<void>((resolve) => {
    if (ms <= 0) return resolve();
    // A client that hangs up ends the wait early; the caller then sees the response closed.
    const onClose = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      res?.off("close", onClose);
      resolve();
    }, ms);
    res?.once("close", onClose);
  });
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** Headers a status fault carries: Retry-After (seconds or HTTP date) and retry-after-ms. */
export function retryHeaders(fault: Fault): Record<string, string> {
  const h: Record<string, string> = {};
  if (fault.retry_after !== undefined) h["retry-after"] = String(fault.retry_after);
  if (fault.retry_after_ms !== undefined) h["retry-after-ms"] = String(fault.retry_after_ms);
  return h;
}

/** Format one SSE event; `event` omitted for data-only dialects (OpenAI, Gemini). */
export function sse(data: unknown, event?: string): string {
  const payload = typeof data === "string" ? data : JSON.stringify(data);
  return `${event ? `event: ${event}\n` : ""}data: ${payload}\n\n`;
}

/**
 * Writes prepared events with the stream faults applied. `errorEvent` is the dialect's in-stream error,
 * sent instead of the rest when `stream_error` is set.
 */
export async function writeStream(
  res: ServerResponse,
  events: string[],
  fault: Fault | null,
  errorEvent: string,
  /** Events that precede the first token (Anthropic's message_start and ping): a slow first token comes after them. */
  preambleEvents = 0,
): Promise<void> {
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    connection: "keep-alive",
  });
  res.flushHeaders();
  const stopAt = fault?.stream_error ? (fault.cut_after ?? 1) : fault?.cut_after;
  let flushed: Promise<void> = Promise.resolve();
  for (let i = 0; i < events.length; i++) {
    if (i === Math.min(preambleEvents, events.length - 1) && fault?.first_token_delay_ms) {
      await sleep(fault.first_token_delay_ms, res);
    }
    if (res.destroyed) return;
    if (stopAt !== undefined && i === stopAt) {
      if (fault?.stream_error) {
        res.end(errorEvent);
      } else {
        // Let the events before the cut reach the client, then drop the connection without the
        // terminating chunk: the client sees a truncated body.
        await flushed;
        res.socket?.destroy();
        res.destroy();
      }
      return;
    }
    flushed = new Promise<void>((resolve) => res.write(events[i], () => resolve()));
    if (fault?.chunk_delay_ms) await sleep(fault.chunk_delay_ms, res);
  }
  res.end();
}
