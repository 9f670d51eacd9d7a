// The optional x-gateway-* request headers that tag a request for logs, upgrade rules and reports.
import type { IncomingHttpHeaders } from "node:http";
import { z } from "zod";
import { invalidRequest } from "@gateway/policy/errors";

export interface GatewayHeaders {
  workflow: string | null;
  endUser: string | null;
  userTier: string | null;
  metadata: Record<string, unknown> | null;
  noStore: boolean;
}

const MAX_TAG = 256;
const metadataSchema = z.record(z.string(), z.unknown());

function tag(headers: IncomingHttpHeaders, name: string): string | null {
  const v = headers[name];
  if (v === undefined) return null;
  const s = Array.isArray(v) ? v.join(",") : v;
  if (s.length > MAX_TAG) throw invalidRequest(name, `header ${name} is longer than ${MAX_TAG} characters`);
  return s.length ? s : null;
}

export function parseGatewayHeaders(headers: IncomingHttpHeaders): GatewayHeaders {
  const rawMeta = headers["x-gateway-metadata"];
  let metadata: Record<string, unknown> | null = null;
  if (typeof rawMeta === "string" && rawMeta.length) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(rawMeta);
    } catch {
      throw invalidRequest("x-gateway-metadata", "header x-gateway-metadata must be a JSON object");
    }
    const r = metadataSchema.safeParse(parsed);
    if (!r.success || Array.isArray(parsed)) {
      throw invalidRequest("x-gateway-metadata", "header x-gateway-metadata must be a JSON object");
    }
    metadata = r.data;
  }
  const cache = headers["x-gateway-cache"];
  return {
    workflow: tag(headers, "x-gateway-workflow"),
    endUser: tag(headers, "x-gateway-user"),
    userTier: tag(headers, "x-gateway-user-tier"),
    metadata,
    noStore: cache === "no-store",
  };
}
