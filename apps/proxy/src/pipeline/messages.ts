// POST /v1/messages: Anthropic Messages in and out, served by any provider through the chat pipeline.
import type { ServerResponse } from "node:http";
import { GatewayError } from "@gateway/policy/errors";
import type { ProxyDeps } from "../deps.ts";
import type { RequestRecord } from "./record.ts";

export async function handleMessages(_run: {
  deps: ProxyDeps;
  record: RequestRecord;
  body: unknown;
  res: ServerResponse;
  baseHeaders: Record<string, string>;
}): Promise<void> {
  throw new GatewayError("not_found", "/v1/messages is not wired yet");
}
