// Classification shared by every adapter's error mapping: HTTP status → FailureKind, Retry-After parsing,
// and network-level failures. Messages name the provider and status, never the key or the request body.
import { UpstreamError, type FailureKind } from "./types.ts";

export type HeaderBag = Record<string, string | string[] | undefined>;

function header(headers: HeaderBag, name: string): string | undefined {
  const v = headers[name] ?? headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** `retry-after-ms` (OpenAI), else `Retry-After` as seconds or an HTTP date. Null when absent or unreadable. */
export function parseRetryAfterMs(headers: HeaderBag, nowMs: number = Date.now()): number | null {
  const ms = header(headers, "retry-after-ms");
  if (ms !== undefined && ms.trim() !== "") {
    const n = Number(ms);
    if (Number.isFinite(n) && n >= 0) return Math.ceil(n);
  }
  const ra = header(headers, "retry-after");
  if (ra === undefined || ra.trim() === "") return null;
  const secs = Number(ra);
  if (Number.isFinite(secs)) return secs >= 0 ? Math.ceil(secs * 1000) : null;
  const at = Date.parse(ra);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - nowMs);
}

export function failureForStatus(status: number): FailureKind {
  if (status === 429) return "rate_limited";
  if (status === 408) return "timeout";
  if (status >= 500) return "server_error"; // includes Anthropic's 529 overloaded
  return "client_error";
}

/** The safe part of a provider's error message: one line, bounded, with anything key-like masked. */
export function sanitizeProviderMessage(message: unknown): string {
  if (typeof message !== "string") return "";
  return message
    .replace(/\s+/g, " ")
    .replace(/(sk|gw|key|AIza)[-_A-Za-z0-9]{8,}/g, "[redacted]")
    .slice(0, 300)
    .trim();
}

export function httpError(
  provider: string,
  status: number,
  headers: HeaderBag,
  detail: { message?: unknown; code?: string | undefined },
): UpstreamError {
  const msg = sanitizeProviderMessage(detail.message);
  const opts: { status: number; retryAfterMs: number | null; providerCode?: string } = {
    status,
    retryAfterMs: parseRetryAfterMs(headers),
  };
  if (detail.code) opts.providerCode = detail.code;
  return new UpstreamError(
    failureForStatus(status),
    `${provider} returned HTTP ${status}${detail.code ? ` (${detail.code})` : ""}${msg ? `: ${msg}` : ""}`,
    opts,
  );
}

export function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // Not JSON (an HTML error page from a proxy, say): callers fall back to the status alone.
    return undefined;
  }
}

/** An error thrown by undici or the body stream → UpstreamError. */
export function networkError(provider: string, err: unknown, phase: "connect" | "stream"): UpstreamError {
  if (err instanceof UpstreamError) return err;
  const code = typeof err === "object" && err !== null && "code" in err ? String((err as { code: unknown }).code) : "";
  const name = err instanceof Error ? err.name : "";
  if (code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT" || code === "UND_ERR_CONNECT_TIMEOUT") {
    return new UpstreamError("timeout", `${provider} timed out (${code})`);
  }
  const what = phase === "stream" ? "stream was cut" : "connection failed";
  return new UpstreamError("connection_error", `${provider} ${what}${code ? ` (${code})` : name ? ` (${name})` : ""}`);
}
