// Input and output guardrails as pure text scans: PII detection and redaction, tenant banned patterns and a
// prompt-injection score. A finding carries the kind, the count and the action taken — never the matched
// text — so findings can go to the request log, to metrics and into error messages as they are.
import type { PiiKind } from "./route-spec.ts";
import { PII_KINDS } from "./route-spec.ts";
import { compileSafePattern, findAll, type SafePattern } from "./safe-regex.ts";

export type GuardrailAction = "redact" | "block" | "log";
export type GuardrailStage = "input" | "output";

export interface GuardrailFinding {
  /** A PII kind, `banned_pattern:<name>`, `prompt_injection`, `output_schema` or `banned_pattern_refused:<name>`. */
  kind: string;
  count: number;
  action: GuardrailAction;
  stage: GuardrailStage;
}

export interface CompiledBannedPattern {
  name: string;
  regex: SafePattern;
  action: "block" | "log";
}

export interface ScanOptions {
  stage: GuardrailStage;
  pii?: { action: GuardrailAction; kinds?: readonly PiiKind[] };
  bannedPatterns?: readonly CompiledBannedPattern[];
  injection?: { threshold: number; action: "block" | "log" };
}

export interface ScanResult {
  findings: GuardrailFinding[];
  /** The text with PII replaced by `[REDACTED:<kind>]` when the PII action is `redact`; else the text itself. */
  redactedText: string;
  /** The first finding whose action is `block`. */
  blocked: null | { kind: string };
  /** 0..1; 0 when injection scoring is off. */
  injectionScore: number;
}

// ---------------------------------------------------------------- PII detectors

interface Detector {
  kind: PiiKind;
  pattern: RegExp;
  /** How many leading characters of the match are really the PII (0: not PII). Default: all of it. */
  accept?: (match: string) => number;
}

const digitsOf = (s: string): string => s.replace(/\D/g, "");

export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return digits.length > 0 && sum % 10 === 0;
}

/** ISO 13616: move the first four characters to the end, letters to numbers (A=10), the number mod 97 is 1. */
export function ibanValid(compact: string): boolean {
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(compact)) return false;
  const rearranged = compact.slice(4) + compact.slice(0, 4);
  let remainder = 0;
  for (const ch of rearranged) {
    const code = ch.charCodeAt(0);
    const value = code >= 65 ? String(code - 55) : ch;
    for (const d of value) remainder = (remainder * 10 + (d.charCodeAt(0) - 48)) % 97;
  }
  return remainder === 1;
}

/** The longest prefix of an IBAN-looking candidate (spaces allowed) that passes mod-97; its length in the original. */
function acceptIban(candidate: string): number {
  const upper = candidate.toUpperCase();
  const positions: number[] = []; // index in candidate just after each non-space character
  let compact = "";
  for (let i = 0; i < upper.length; i++) {
    if (upper[i] !== " ") {
      compact += upper[i];
      positions.push(i + 1);
    }
  }
  for (let len = Math.min(compact.length, 34); len >= 15; len--) {
    if (ibanValid(compact.slice(0, len))) return positions[len - 1]!;
  }
  return 0;
}

const DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE";

/** Spanish DNI (8 digits + letter) and NIE (X/Y/Z + 7 digits + letter): the letter is a mod-23 check. */
function acceptSpanishId(candidate: string): number {
  const c = candidate.toUpperCase().replace("-", "");
  const prefix = { X: "0", Y: "1", Z: "2" }[c[0] ?? ""] ?? "";
  const number = prefix ? prefix + c.slice(1, -1) : c.slice(0, -1);
  if (!/^\d{8}$/.test(number)) return 0;
  return DNI_LETTERS[Number(number) % 23] === c.at(-1) ? candidate.length : 0;
}

function shannonEntropy(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/** Long tokens that look random: upper, lower and digits mixed, and close to the entropy of random base62. */
function acceptHighEntropy(candidate: string): number {
  const body = candidate.replace(/=+$/, "");
  if (!/[A-Z]/.test(body) || !/[a-z]/.test(body) || !/\d/.test(body)) return 0;
  return shannonEntropy(body) >= 4.2 ? candidate.length : 0;
}

// Every detector starts with a lookbehind that stops a match from beginning in the middle of a token, so an
// unanchored search tries each token once instead of each character: linear time on long input.
const DETECTORS: Detector[] = [
  // Secrets first: a key can contain digit runs that would otherwise read as phone or card numbers.
  { kind: "secret", pattern: /-----BEGIN [A-Z ]{0,20}PRIVATE KEY-----[\s\S]{0,10000}?-----END [A-Z ]{0,20}PRIVATE KEY-----/g },
  { kind: "secret", pattern: /(?<![\w-])sk-(?:proj-|ant-(?:api\d{2}-)?|svcacct-)?[A-Za-z0-9_-]{20,200}/g },
  { kind: "secret", pattern: /(?<![\w-])[rs]k_(?:live|test)_[A-Za-z0-9]{16,200}/g },
  { kind: "secret", pattern: /(?<![\w-])gw_[A-Za-z0-9_-]{16,200}/g },
  { kind: "secret", pattern: /(?<![A-Za-z0-9])(?:AKIA|ASIA)[0-9A-Z]{16}(?![A-Za-z0-9])/g },
  { kind: "secret", pattern: /(?<![\w-])(?:gh[pousr]_[A-Za-z0-9]{36,100}|github_pat_[A-Za-z0-9_]{40,200})/g },
  { kind: "secret", pattern: /(?<![\w-])xox[abprs]-[A-Za-z0-9-]{10,200}/g },
  { kind: "secret", pattern: /(?<![\w-])AIza[0-9A-Za-z_-]{35}(?![\w-])/g },
  { kind: "secret", pattern: /(?<![\w-])eyJ[A-Za-z0-9_-]{8,2000}\.eyJ[A-Za-z0-9_-]{8,4000}\.[A-Za-z0-9_-]{8,2000}/g },
  {
    kind: "secret",
    pattern: /(?<![A-Za-z0-9+/_=-])[A-Za-z0-9+/_-]{32,512}={0,2}(?![A-Za-z0-9+/_=-])/g,
    accept: acceptHighEntropy,
  },
  { kind: "email", pattern: /(?<![\w.%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}(?![\w-])/g },
  {
    kind: "iban",
    pattern: /(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]{4}){2,7}(?: ?[A-Za-z0-9]{1,4})?(?![A-Za-z0-9])/g,
    accept: acceptIban,
  },
  {
    kind: "card",
    pattern: /(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d-])/g,
    accept: (m) => {
      const d = digitsOf(m);
      return d.length >= 13 && d.length <= 19 && luhnValid(d) ? m.length : 0;
    },
  },
  // US SSN: area 000, 666 and 900-999, group 00 and serial 0000 are never issued.
  { kind: "national_id", pattern: /(?<![\d-])(?!000|666|9\d\d)\d{3}([- ])(?!00)\d{2}\1(?!0000)\d{4}(?![\d-])/g },
  // UK National Insurance number: two prefix letters from the allowed set, six digits, suffix A-D.
  {
    kind: "national_id",
    pattern: /(?<![A-Za-z0-9])(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D](?![A-Za-z0-9])/g,
  },
  { kind: "national_id", pattern: /(?<![A-Za-z0-9])[XYZ]?\d{7,8}-?[A-Z](?![A-Za-z0-9])/g, accept: acceptSpanishId },
  // Phones, in shapes that plain numbers (years, amounts, ids, IP addresses) do not take: international with
  // a leading +, North American with separators, or a national trunk prefix 0.
  {
    kind: "phone",
    // One bounded character class rather than nested digit groups: no ambiguous splits to backtrack through.
    pattern: /(?<![\w+])\+\d[\d ().-]{6,22}\d(?![\w])/g,
    accept: (m) => {
      const n = digitsOf(m).length;
      return n >= 8 && n <= 15 ? m.length : 0;
    },
  },
  { kind: "phone", pattern: /(?<![\w+(])(?:\(\d{3}\) ?|\d{3}[-. ])\d{3}[-. ]\d{4}(?![\w])/g },
  {
    kind: "phone",
    pattern: /(?<![\w+])0\d{2,4}[ -]?\d{3,4}[ -]?\d{3,4}(?![\w])/g,
    accept: (m) => {
      const n = digitsOf(m).length;
      return n >= 10 && n <= 11 ? m.length : 0;
    },
  },
];

export function redactionPlaceholder(kind: string): string {
  return `[REDACTED:${kind}]`;
}

/** Replace every accepted match of one detector; returns the new text and how many were replaced. */
function applyDetector(text: string, d: Detector): { text: string; count: number } {
  let out = "";
  let last = 0;
  let count = 0;
  for (const m of text.matchAll(d.pattern)) {
    const len = d.accept ? d.accept(m[0]) : m[0].length;
    if (len === 0) continue;
    out += text.slice(last, m.index) + redactionPlaceholder(d.kind);
    last = m.index + len;
    count++;
  }
  return count === 0 ? { text, count } : { text: out + text.slice(last), count };
}

/** Counts per PII kind, and the text with each occurrence replaced by its placeholder. */
export function detectPii(text: string, kinds: readonly PiiKind[] = PII_KINDS): { counts: Map<PiiKind, number>; masked: string } {
  const counts = new Map<PiiKind, number>();
  let masked = text;
  for (const d of DETECTORS) {
    if (!kinds.includes(d.kind)) continue;
    const r = applyDetector(masked, d);
    if (r.count > 0) {
      masked = r.text;
      counts.set(d.kind, (counts.get(d.kind) ?? 0) + r.count);
    }
  }
  return { counts, masked };
}

// ---------------------------------------------------------------- prompt injection

interface InjectionSignal {
  pattern: RegExp;
  weight: number;
}

const INJECTION_SIGNALS: InjectionSignal[] = [
  { pattern: /\b(?:ignore|disregard|forget|skip|override)\b.{0,30}\b(?:previous|prior|above|earlier|preceding|all|your|the)\b.{0,30}\b(?:instructions?|prompts?|rules|guidelines|directives|messages?)\b/i, weight: 0.6 },
  { pattern: /\b(?:reveal|show|print|repeat|output|display|leak|tell me|give me|what (?:is|are|were))\b.{0,30}\b(?:your|the)\b.{0,20}\b(?:system|initial|hidden|original|secret)\b.{0,10}\b(?:prompt|instructions?|message|rules)\b/i, weight: 0.55 },
  { pattern: /\byou are now\b/i, weight: 0.35 },
  { pattern: /\b(?:developer|god|jailbreak|unrestricted|dan) mode\b/i, weight: 0.45 },
  { pattern: /\b(?:do anything now|DAN)\b/, weight: 0.35 },
  { pattern: /\bjailbr(?:eak|oken)\b/i, weight: 0.35 },
  { pattern: /\b(?:no longer|not) (?:bound|restricted|limited) by\b/i, weight: 0.4 },
  { pattern: /\bwithout (?:any )?(?:restrictions|filters|limitations|censorship|guidelines)\b/i, weight: 0.3 },
  { pattern: /\b(?:pretend|imagine) (?:that )?(?:you are|you're|to be)\b/i, weight: 0.2 },
  { pattern: /\b(?:role-?play|act) as\b/i, weight: 0.15 },
  { pattern: /\bnew (?:instructions|rules|system prompt)\s*:/i, weight: 0.4 },
  { pattern: /(?:<\|im_start\|>|<\|system\|>|\[\/?(?:system|INST)\]|^#{2,}\s*system\b|<\/?system>)/im, weight: 0.45 },
  { pattern: /\b(?:bypass|disable|turn off)\b.{0,20}\b(?:safety|filters?|guardrails?|moderation|content policy)\b/i, weight: 0.45 },
];

const BASE64_BLOB = /(?<![A-Za-z0-9+/=])[A-Za-z0-9+/]{40,4096}={0,2}(?![A-Za-z0-9+/=])/g;

function decodeBase64Text(blob: string): string | null {
  let bytes: string;
  try {
    bytes = atob(blob);
  } catch (err) {
    // Not valid base64 after all (length or padding): nothing to decode, which is an answer, not a failure.
    if (err instanceof DOMException) return null;
    throw err;
  }
  // Only printable text is interesting: an encoded instruction, not an encoded image. Tab, LF and CR are
  // exactly the control characters plain text may hold, so the class names them on purpose.
  // eslint-disable-next-line no-control-regex
  return /^[\x09\x0a\x0d\x20-\x7e]+$/.test(bytes) ? bytes : null;
}

/**
 * A heuristic score in [0, 1]: independent signals combine as 1 - Π(1 - weight), so one strong phrase scores
 * high, several weak ones add up, and nothing reaches 1. Base64 blobs that decode to instructions count too.
 */
export function injectionScore(text: string): number {
  const weights: number[] = [];
  const scan = (t: string): void => {
    for (const s of INJECTION_SIGNALS) if (s.pattern.test(t)) weights.push(s.weight);
  };
  scan(text);
  for (const m of text.matchAll(BASE64_BLOB)) {
    const decoded = decodeBase64Text(m[0]);
    if (decoded === null) continue;
    const before = weights.length;
    scan(decoded);
    // Hiding an instruction in base64 is itself a signal.
    if (weights.length > before) weights.push(0.5);
  }
  return 1 - weights.reduce((keep, w) => keep * (1 - w), 1);
}

// ---------------------------------------------------------------- banned patterns

/** Compile a spec's banned patterns through the safe-regex gate; refused ones come back separately. */
export function compileBannedPatterns(specs: ReadonlyArray<{ name: string; pattern: string; action: "block" | "log" }>): {
  patterns: CompiledBannedPattern[];
  refused: Array<{ name: string; reason: string }>;
} {
  const patterns: CompiledBannedPattern[] = [];
  const refused: Array<{ name: string; reason: string }> = [];
  for (const s of specs) {
    const r = compileSafePattern(s.pattern);
    if (r.ok) patterns.push({ name: s.name, regex: r.regex, action: s.action });
    else refused.push({ name: s.name, reason: r.reason });
  }
  return { patterns, refused };
}

/**
 * Every banned pattern of a guardrails spec that the safe-regex gate refuses, with the field path the config
 * file loader and the dashboard report it under (`input.bannedPatterns[0].pattern`). Empty when all pass.
 */
export function guardrailsSpecProblems(spec: {
  input?: { bannedPatterns?: ReadonlyArray<{ pattern: string }> };
  output?: { bannedPatterns?: ReadonlyArray<{ pattern: string }> };
} | null): Array<{ path: string; reason: string }> {
  const problems: Array<{ path: string; reason: string }> = [];
  for (const stage of ["input", "output"] as const) {
    spec?.[stage]?.bannedPatterns?.forEach((p, i) => {
      const r = compileSafePattern(p.pattern);
      if (!r.ok) problems.push({ path: `${stage}.bannedPatterns[${i}].pattern`, reason: r.reason });
    });
  }
  return problems;
}

// ---------------------------------------------------------------- scans

/** Merge findings of the same kind, action and stage by adding their counts. */
export function mergeFindings(findings: readonly GuardrailFinding[]): GuardrailFinding[] {
  const merged = new Map<string, GuardrailFinding>();
  for (const f of findings) {
    const k = `${f.stage}\u0000${f.kind}\u0000${f.action}`;
    const prev = merged.get(k);
    if (prev) prev.count += f.count;
    else merged.set(k, { ...f });
  }
  return [...merged.values()];
}

export function scanText(text: string, opts: ScanOptions): ScanResult {
  const findings: GuardrailFinding[] = [];
  let redactedText = text;
  let blocked: null | { kind: string } = null;
  const block = (kind: string): void => {
    blocked ??= { kind };
  };

  if (opts.pii) {
    const { counts, masked } = detectPii(text, opts.pii.kinds ?? PII_KINDS);
    for (const [kind, count] of counts) {
      findings.push({ kind, count, action: opts.pii.action, stage: opts.stage });
      if (opts.pii.action === "block") block(kind);
    }
    if (opts.pii.action === "redact") redactedText = masked;
  }

  for (const p of opts.bannedPatterns ?? []) {
    const { count } = findAll(p.regex, text);
    if (count === 0) continue;
    const kind = `banned_pattern:${p.name}`;
    findings.push({ kind, count, action: p.action, stage: opts.stage });
    if (p.action === "block") block(kind);
  }

  let score = 0;
  if (opts.injection) {
    score = injectionScore(text);
    if (score >= opts.injection.threshold) {
      findings.push({ kind: "prompt_injection", count: 1, action: opts.injection.action, stage: opts.stage });
      if (opts.injection.action === "block") block("prompt_injection");
    }
  }

  return { findings, redactedText, blocked, injectionScore: score };
}

/** The message shapes guardrails read: string content or an array of parts, of which text parts are scanned. */
export interface ScannableMessage {
  role: string;
  content?: string | null | ReadonlyArray<{ type: string; text?: string; [k: string]: unknown }>;
  [k: string]: unknown;
}

export interface ChatScanResult<M extends ScannableMessage> {
  /** A copy with redactions applied (the same objects where nothing changed). */
  messages: M[];
  findings: GuardrailFinding[];
  blocked: null | { kind: string };
  injectionScore: number;
}

/**
 * Scan a chat request's messages. PII is looked for in every message; banned patterns and injection only in
 * what the caller does not author itself (user and tool messages) — a system prompt may well say "you are now".
 */
export function scanChatMessages<M extends ScannableMessage>(messages: readonly M[], opts: Omit<ScanOptions, "stage">): ChatScanResult<M> {
  const findings: GuardrailFinding[] = [];
  let blocked: null | { kind: string } = null;
  const untrusted: string[] = [];

  const scanOne = (text: string, role: string): string => {
    const r = scanText(text, { stage: "input", pii: opts.pii });
    findings.push(...r.findings);
    blocked ??= r.blocked;
    if (role === "user" || role === "tool" || role === "function") untrusted.push(text);
    return r.redactedText;
  };

  const out = messages.map((msg) => {
    const content = msg.content;
    if (typeof content === "string") {
      const redacted = scanOne(content, msg.role);
      return redacted === content ? msg : { ...msg, content: redacted };
    }
    if (Array.isArray(content)) {
      let changed = false;
      const parts = content.map((part: { type: string; text?: string }) => {
        if (part.type !== "text" || typeof part.text !== "string") return part;
        const redacted = scanOne(part.text, msg.role);
        if (redacted === part.text) return part;
        changed = true;
        return { ...part, text: redacted };
      });
      return changed ? { ...msg, content: parts } : msg;
    }
    return msg;
  });

  // Patterns and injection run over the untrusted text as a whole, so a phrase split across messages still counts.
  const rest = scanText(untrusted.join("\n"), {
    stage: "input",
    bannedPatterns: opts.bannedPatterns,
    injection: opts.injection,
  });
  findings.push(...rest.findings);
  blocked ??= rest.blocked;

  return { messages: out, findings: mergeFindings(findings), blocked, injectionScore: rest.injectionScore };
}
