// A route's guardrails applied to one request: the input stage before the upstream call (redact, block or
// log PII; banned patterns; injection score) and the output stage on a completion or on a stream's assembled
// text. Blocking throws a GuardrailBlockedError that names the finding's kind only and carries the findings,
// so the caller can still write them to the request log.
import { GatewayError } from "@gateway/policy/errors";
import {
  compileBannedPatterns,
  detectPii,
  mergeFindings,
  scanChatMessages,
  scanText,
  type CompiledBannedPattern,
  type GuardrailFinding,
} from "@gateway/policy/guardrails";
import { PII_KINDS, type GuardrailsSpec, type PiiKind } from "@gateway/policy/route-spec";
import { validateOutput } from "@gateway/policy/validator";
import { assembleChunks, replayAsStream } from "../cache/exact.ts";
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest } from "../providers/openai-types.ts";

export type { GuardrailFinding } from "@gateway/policy/guardrails";

export class GuardrailBlockedError extends GatewayError {
  readonly findings: GuardrailFinding[];
  constructor(stage: "input" | "output", kind: string, findings: GuardrailFinding[]) {
    super(
      "guardrail_blocked",
      stage === "input"
        ? `the request was blocked by the route's input guardrails (${kind})`
        : `the response was blocked by the route's output guardrails (${kind})`,
      // An output block is not the client's fault: 422 like a failed output validation, no param.
      stage === "input" ? { param: "messages" } : { httpStatus: 422, type: "invalid_response_error" },
    );
    this.findings = findings;
  }
}

// Compiled once per spec object: the config snapshot keeps the same objects until it reloads.
const compiledPatterns = new WeakMap<object, { patterns: CompiledBannedPattern[]; refusedFindings: (stage: "input" | "output") => GuardrailFinding[] }>();

function bannedPatternsOf(stageSpec: { bannedPatterns?: Array<{ name: string; pattern: string; action: "block" | "log" }> }) {
  let c = compiledPatterns.get(stageSpec);
  if (!c) {
    const { patterns, refused } = compileBannedPatterns(stageSpec.bannedPatterns ?? []);
    // A pattern the config loader should have refused is skipped, and said so on every request's log.
    c = {
      patterns,
      refusedFindings: (stage) => refused.map((r) => ({ kind: `banned_pattern_refused:${r.name}`, count: 1, action: "log" as const, stage })),
    };
    compiledPatterns.set(stageSpec, c);
  }
  return c;
}

export interface InputGuardrailResult {
  /** The request to send upstream: a redacted copy where PII was redacted, else the request itself. */
  request: ChatCompletionRequest;
  findings: GuardrailFinding[];
  injectionScore: number;
}

/** The input stage. Throws GuardrailBlockedError (400, param "messages") when a blocking finding is made. */
export function applyInputGuardrails(request: ChatCompletionRequest, spec: GuardrailsSpec | null): InputGuardrailResult {
  const input = spec?.input;
  if (!input) return { request, findings: [], injectionScore: 0 };
  const { patterns, refusedFindings } = bannedPatternsOf(input);
  const r = scanChatMessages(request.messages, { pii: input.pii, bannedPatterns: patterns, injection: input.injection });
  const findings = [...refusedFindings("input"), ...r.findings];
  if (r.blocked) throw new GuardrailBlockedError("input", r.blocked.kind, findings);
  const redacted = r.messages.some((m, i) => m !== request.messages[i]);
  return { request: redacted ? { ...request, messages: r.messages } : request, findings, injectionScore: r.injectionScore };
}

export interface OutputGuardrailResult {
  /** The completion to return: PII redacted in its text where the route says so. */
  completion: ChatCompletion;
  findings: GuardrailFinding[];
  /** Set when a blocking finding was made (the caller throws `error` or, for a flagged stream, logs it). */
  blocked: null | { kind: string };
  error: GuardrailBlockedError | GatewayError | null;
}

/**
 * The output stage on a whole completion: PII and banned patterns in each choice's content, and the route's
 * JSON-schema validator when `validateSchema` is on (a failure is `output_validation_failed`, as for the
 * route validator). Tool-call arguments are not scanned: redacting inside JSON arguments could break them.
 */
export function checkOutput(completion: ChatCompletion, spec: GuardrailsSpec | null, validator: Record<string, unknown> | null): OutputGuardrailResult {
  const output = spec?.output;
  if (!output) return { completion, findings: [], blocked: null, error: null };
  const { patterns, refusedFindings } = bannedPatternsOf(output);
  const findings: GuardrailFinding[] = refusedFindings("output");
  let blocked: null | { kind: string } = null;
  let schemaFailed = false;

  const choices = completion.choices.map((choice) => {
    const text = choice.message.content;
    if (typeof text !== "string" || text === "") return choice;
    const r = scanText(text, { stage: "output", pii: output.pii, bannedPatterns: patterns });
    findings.push(...r.findings);
    blocked ??= r.blocked;
    if (output.validateSchema && validator && !validateOutput(validator, text).ok) schemaFailed = true;
    return r.redactedText === text ? choice : { ...choice, message: { ...choice.message, content: r.redactedText } };
  });
  if (schemaFailed) {
    findings.push({ kind: "output_schema", count: 1, action: "block", stage: "output" });
    blocked ??= { kind: "output_schema" };
  }
  const merged = mergeFindings(findings);
  let error: GuardrailBlockedError | GatewayError | null = null;
  if (blocked) {
    error =
      blocked.kind === "output_schema"
        ? new GatewayError("output_validation_failed", "the response did not match the route's output schema")
        : new GuardrailBlockedError("output", blocked.kind, merged);
  }
  const changed = choices.some((c, i) => c !== completion.choices[i]);
  return { completion: changed ? { ...completion, choices } : completion, findings: merged, blocked, error };
}

/** The PII kinds a route looks for at either stage; empty when it has no PII guardrail. */
function piiKindsOf(spec: GuardrailsSpec | null, stage: "input" | "output"): readonly PiiKind[] {
  const pii = spec?.[stage]?.pii;
  if (!pii) return [];
  return pii.kinds ?? PII_KINDS;
}

/**
 * The request body as the request log may keep it: every PII kind the route's input stage looks for is
 * redacted whatever the stage's action, so a blocked or log-only finding never reaches the log with its value.
 */
export function requestBodyForLog(request: ChatCompletionRequest, spec: GuardrailsSpec | null): ChatCompletionRequest {
  const kinds = piiKindsOf(spec, "input");
  if (kinds.length === 0) return request;
  const r = scanChatMessages(request.messages, { pii: { action: "redact", kinds } });
  return r.messages.some((m, i) => m !== request.messages[i]) ? { ...request, messages: r.messages } : request;
}

/** The same for response text (a completion's content or a stream's assembled text). */
export function responseTextForLog(text: string, spec: GuardrailsSpec | null): string {
  const kinds = piiKindsOf(spec, "output");
  return kinds.length === 0 ? text : detectPii(text, kinds).masked;
}

export function outputGuardrailsActive(spec: GuardrailsSpec | null): boolean {
  return Boolean(spec?.output);
}

export type StreamGuardMode = "off" | "buffer" | "flag";

export interface StreamGuardResult {
  /** Chunks still to send: in buffer mode the whole (possibly redacted) stream, in flag mode nothing. */
  release: ChatCompletionChunk[];
  findings: GuardrailFinding[];
  /** Buffer mode only: the stream must end with this error instead of the held chunks. */
  error: GuardrailBlockedError | GatewayError | null;
}

/**
 * Output guardrails for a stream. `flag` (the default) forwards every chunk at once and checks the assembled
 * text at the end: findings are recorded with action "log", since nothing sent can be redacted or blocked.
 * `buffer` holds every chunk until the end, then releases them (re-chunked if redacted) or an error. Use:
 *   const guard = new OutputStreamGuard(spec, validator);
 *   for await (const chunk of upstream) for (const c of guard.push(chunk)) send(c);
 *   const { release, findings, error } = guard.finish(); for (const c of release) send(c); if (error) sendError(error);
 */
export class OutputStreamGuard {
  readonly mode: StreamGuardMode;
  private readonly chunks: ChatCompletionChunk[] = [];

  constructor(
    private readonly spec: GuardrailsSpec | null,
    private readonly validator: Record<string, unknown> | null,
  ) {
    this.mode = spec?.output ? spec.output.streamMode : "off";
  }

  /** The chunks to send now for one upstream chunk. */
  push(chunk: ChatCompletionChunk): ChatCompletionChunk[] {
    if (this.mode !== "off") this.chunks.push(chunk);
    return this.mode === "buffer" ? [] : [chunk];
  }

  finish(): StreamGuardResult {
    if (this.mode === "off" || this.chunks.length === 0) return { release: [], findings: [], error: null };
    const assembled = assembleChunks(this.chunks);
    const r = checkOutput(assembled, this.spec, this.validator);
    if (this.mode === "flag") {
      const flagged = mergeFindings(r.findings.map((f) => ({ ...f, action: "log" as const })));
      return { release: [], findings: flagged, error: null };
    }
    if (r.error) return { release: [], findings: r.findings, error: r.error };
    if (r.completion === assembled) return { release: this.chunks, findings: r.findings, error: null };
    const includeUsage = this.chunks.some((c) => c.usage);
    return { release: replayAsStream(r.completion, { includeUsage }), findings: r.findings, error: null };
  }
}
