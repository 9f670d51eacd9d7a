// The one place the proxy talks HTTP to providers: a keep-alive undici Agent (a connection pool per
// origin), the caller's AbortSignal passed through, a time-to-first-byte deadline, and every failure turned
// into an UpstreamError whose failure kind the retry policy can act on.
import type { LookupFunction } from "node:net";
import { Agent, request, type Dispatcher } from "undici";
import { createGuardedLookup } from "../enforcement/ssrf.ts";
import { UpstreamError } from "./types.ts";
import { networkError } from "./upstream-errors.ts";
import type { UpstreamHttpRequest } from "./types.ts";

function makeAgent(connect?: { lookup: LookupFunction }): Agent {
  return new Agent({
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 600_000,
    connections: 256,
    pipelining: 1,
    // Deadlines are the gateway's (route total timeout and TTFT via signals), not undici's defaults.
    headersTimeout: 0,
    bodyTimeout: 0,
    ...(connect ? { connect } : {}),
  });
}

let agent = makeAgent();

/**
 * Called once by the proxy at start: every new upstream connection resolves its host name through the SSRF
 * guard, so a name that passed the configuration check cannot later resolve to a private or link-local
 * address (DNS rebinding). Literal addresses are judged when the configuration is loaded.
 */
export function guardUpstreamAddresses(opts: { allowPrivate: boolean }): void {
  const previous = agent;
  agent = makeAgent({ lookup: createGuardedLookup(opts) });
  void previous.close();
}

export function providerDispatcher(): Dispatcher {
  return agent;
}

const TTFT_REASON = Symbol("ttft");

/**
 * A deadline for the first byte. `clear()` once it arrived; `signal` aborts when the caller's signal does or
 * the deadline passes; `toError` maps an abort to the right UpstreamError.
 */
export class FirstByteDeadline {
  readonly signal: AbortSignal;
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | null = null;
  private fired = false;
  private readonly onParentAbort: () => void;

  constructor(
    private readonly parent: AbortSignal,
    private readonly provider: string,
    ttftMs: number | undefined,
  ) {
    this.signal = this.controller.signal;
    this.onParentAbort = () => this.controller.abort(parent.reason);
    if (parent.aborted) this.controller.abort(parent.reason);
    else parent.addEventListener("abort", this.onParentAbort, { once: true });
    if (ttftMs !== undefined && ttftMs > 0) {
      this.timer = setTimeout(() => {
        this.fired = true;
        this.controller.abort(TTFT_REASON);
      }, ttftMs);
      this.timer.unref?.();
    }
  }

  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  dispose(): void {
    this.clear();
    this.parent.removeEventListener("abort", this.onParentAbort);
  }

  /** If the call was aborted, the UpstreamError saying why; otherwise the network error mapped. */
  toError(err: unknown, phase: "connect" | "stream"): UpstreamError {
    if (err instanceof UpstreamError) return err;
    if (this.fired) {
      return new UpstreamError("timeout", `${this.provider} sent no first token within the time-to-first-token limit`);
    }
    if (this.parent.aborted) {
      const reason: unknown = this.parent.reason;
      const isTimeout = reason instanceof Error && reason.name === "TimeoutError";
      return new UpstreamError(
        isTimeout ? "timeout" : "connection_error",
        isTimeout ? `${this.provider} call exceeded the total timeout` : `${this.provider} call aborted`,
        { aborted: true },
      );
    }
    return networkError(this.provider, err, phase);
  }
}

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData["body"];
}

export async function sendUpstream(
  req: UpstreamHttpRequest,
  deadline: FirstByteDeadline,
  method: "POST" | "GET" = "POST",
): Promise<UpstreamResponse> {
  try {
    const res = await request(req.url, {
      method,
      headers: req.headers,
      body: method === "POST" ? JSON.stringify(req.body) : null,
      signal: deadline.signal,
      dispatcher: agent,
    });
    return { status: res.statusCode, headers: res.headers, body: res.body };
  } catch (err) {
    throw deadline.toError(err, "connect");
  }
}

const MAX_ERROR_BODY = 64 * 1024;

/** An error response's text, bounded: an error page must not be read without limit. */
export async function readBoundedText(body: UpstreamResponse["body"], deadline: FirstByteDeadline): Promise<string> {
  const decoder = new TextDecoder();
  let out = "";
  try {
    for await (const piece of body) {
      out += decoder.decode(piece as Uint8Array, { stream: true });
      if (out.length > MAX_ERROR_BODY) {
        body.destroy();
        break;
      }
    }
  } catch (err) {
    throw deadline.toError(err, "stream");
  }
  return out;
}
