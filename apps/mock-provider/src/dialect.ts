// What each provider dialect of the mock implements; index.ts routes requests to one of them.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { MockAnswer, MockPrompt } from "./answers.ts";
import type { Fault, RequestFacts } from "./faults.ts";

/** A request body the dialect refuses: answered as a 400 in the provider's error shape. */
export class BadRequest extends Error {}

export interface ChatCall {
  res: ServerResponse;
  body: Record<string, unknown>;
  model: string;
  stream: boolean;
  prompt: MockPrompt;
  answer: MockAnswer;
  fault: Fault | null;
  /** Sequence number of this request, for ids. */
  seq: number;
}

export interface Dialect {
  provider: RequestFacts["provider"];
  authPresent(req: IncomingMessage, url: URL): boolean;
  /** Error response in the provider's shape. */
  error(res: ServerResponse, status: number, message: string, headers?: Record<string, string>): void;
  /** The dialect's in-stream error event. */
  streamError(message: string): string;
  prompt(body: Record<string, unknown>, model: string): MockPrompt;
  /** The raw text of the last user turn, where `[[mock:...]]` markers are looked for. */
  lastUserRaw(body: Record<string, unknown>): string;
  respond(call: ChatCall): Promise<void>;
}

export function asRecord(v: unknown): Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

export function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
