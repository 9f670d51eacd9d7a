// Writing responses: JSON bodies, errors in OpenAI's (or Anthropic's) shape, and request bodies read with
// a size cap so one client cannot make the proxy buffer without bound.
import type { IncomingMessage, ServerResponse } from "node:http";
import { GatewayError, invalidRequest, toOpenAIError } from "@gateway/policy/errors";
import { toAnthropicError } from "../providers/anthropic-inbound.ts";

export const MAX_BODY_BYTES = 8 * 1024 * 1024;

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

export type ErrorShape = "openai" | "anthropic";

/** Status, headers and body for an error, in the shape the client's SDK expects. */
export function errorResponse(err: unknown, shape: ErrorShape): { status: number; headers: Record<string, string>; body: unknown } {
  return shape === "openai" ? toOpenAIError(err) : toAnthropicError(err);
}

export function sendError(res: ServerResponse, err: unknown, shape: ErrorShape, headers: Record<string, string> = {}): number {
  const e = errorResponse(err, shape);
  sendJson(res, e.status, e.body, { ...headers, ...e.headers });
  return e.status;
}

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const declared = Number(req.headers["content-length"] ?? "0");
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function tooLarge(): GatewayError {
  return new GatewayError("invalid_request_error", `request body is larger than ${MAX_BODY_BYTES} bytes`, {
    httpStatus: 413,
    param: "body",
  });
}

export function parseJsonBody(raw: Buffer): unknown {
  if (raw.length === 0) throw invalidRequest("body", "request body is empty: send a JSON object");
  try {
    return JSON.parse(raw.toString("utf8"));
  } catch (err) {
    throw invalidRequest("body", `request body is not valid JSON: ${(err as Error).message}`);
  }
}
