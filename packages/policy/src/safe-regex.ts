// Tenant-defined regexes (banned patterns) run on the hot path against untrusted text. Two defences:
//   1. a pattern is refused before use when it has a shape known for catastrophic backtracking — star height
//      > 1 ((a+)+, (x+x+)+y, (.*){1,32000}, (a?){20}a{20}), alternation under repetition whose branches can
//      match the same text ((a|a)*, (a|ab)*), backreferences, lookaround, huge repeats, long sources — so
//      the config file and the dashboard reject it with a reason, and no backtracking engine anywhere (a
//      browser preview, a script) is ever handed one;
//   2. accepted patterns run on RE2 (re2js, pure JS): linear time in the text whatever the pattern, so what
//      slips past the shape check still cannot hang a request. The text scanned is capped too.
import { RE2JS } from "re2js";

const MAX_PATTERN_LENGTH = 512;
const MAX_BOUNDED_REPEAT = 1000;
const MAX_QUANTIFIERS = 32;
const MAX_GROUP_DEPTH = 8;
/** Patterns match case-insensitively (banned words rarely care about case); the flag set is fixed. */
export const SAFE_PATTERN_FLAGS = "iu";
/** Upper bound on the text a pattern ever sees (longer input is scanned up to here and flagged as truncated). */
export const MAX_SCAN_CHARS = 512 * 1024;

/** A tenant pattern that passed the gate, compiled for RE2. */
export class SafePattern {
  constructor(
    readonly source: string,
    readonly re2: RE2JS,
  ) {}

  test(text: string): boolean {
    return this.re2.matcher(text.length > MAX_SCAN_CHARS ? text.slice(0, MAX_SCAN_CHARS) : text).find();
  }
}

export type SafePatternResult = { ok: true; regex: SafePattern } | { ok: false; reason: string };

interface Quantified {
  atom: Atom;
  min: number;
  max: number; // Infinity when unbounded
}
type Atom =
  | { type: "chars"; source: string } // a literal, an escape class, a [class] or `.`
  | { type: "assertion" } // ^ $ \b \B
  | { type: "group"; branches: Quantified[][] };

class RefusedPattern extends Error {}

function refuse(reason: string): never {
  throw new RefusedPattern(reason);
}

/** A small parser for the ECMAScript regex subset we accept; anything it does not understand is refused. */
class Parser {
  private i = 0;
  private quantifiers = 0;
  constructor(private readonly src: string) {}

  parse(): Quantified[][] {
    const branches = this.alternation(0);
    if (this.i < this.src.length) refuse(`unbalanced ")" at position ${this.i}`);
    return branches;
  }

  private alternation(depth: number): Quantified[][] {
    if (depth > MAX_GROUP_DEPTH) refuse(`groups nested deeper than ${MAX_GROUP_DEPTH}`);
    const branches: Quantified[][] = [this.sequence(depth)];
    while (this.src[this.i] === "|") {
      this.i++;
      branches.push(this.sequence(depth));
    }
    return branches;
  }

  private sequence(depth: number): Quantified[] {
    const items: Quantified[] = [];
    while (this.i < this.src.length && this.src[this.i] !== "|" && this.src[this.i] !== ")") {
      const atom = this.atom(depth);
      const q = this.quantifier();
      if (q && atom.type === "assertion") refuse("a quantifier on an assertion");
      items.push({ atom, min: q?.min ?? 1, max: q?.max ?? 1 });
    }
    return items;
  }

  private atom(depth: number): Atom {
    const start = this.i;
    const c = this.src[this.i];
    if (c === "(") {
      this.i++;
      if (this.src.startsWith("?:", this.i)) this.i += 2;
      else if (this.src.startsWith("?=", this.i) || this.src.startsWith("?!", this.i)) refuse("lookahead is not allowed");
      else if (this.src.startsWith("?<=", this.i) || this.src.startsWith("?<!", this.i)) refuse("lookbehind is not allowed");
      else if (this.src.startsWith("?<", this.i)) {
        const close = this.src.indexOf(">", this.i);
        if (close < 0) refuse("unterminated group name");
        this.i = close + 1;
      } else if (c === "(" && this.src[this.i] === "?") refuse("unsupported group syntax");
      const branches = this.alternation(depth + 1);
      if (this.src[this.i] !== ")") refuse("unterminated group");
      this.i++;
      return { type: "group", branches };
    }
    if (c === "^" || c === "$") {
      this.i++;
      return { type: "assertion" };
    }
    if (c === "[") {
      this.i++;
      if (this.src[this.i] === "^") this.i++;
      if (this.src[this.i] === "]") this.i++;
      while (this.i < this.src.length && this.src[this.i] !== "]") {
        if (this.src[this.i] === "\\") this.i++;
        this.i++;
      }
      if (this.src[this.i] !== "]") refuse("unterminated character class");
      this.i++;
      return { type: "chars", source: this.src.slice(start, this.i) };
    }
    if (c === "\\") {
      const e = this.src[this.i + 1];
      if (e === undefined) refuse("pattern ends with a backslash");
      if (/[1-9]/.test(e) || e === "k") refuse("backreferences are not allowed");
      if (e === "b" || e === "B") {
        this.i += 2;
        return { type: "assertion" };
      }
      // \p{..}, \u{..}, \uXXXX, \xXX, \cX: consume the escape's body so the parser stays aligned.
      let end = this.i + 2;
      if ((e === "p" || e === "P" || e === "u") && this.src[end] === "{") {
        const close = this.src.indexOf("}", end);
        if (close < 0) refuse("unterminated escape");
        end = close + 1;
      } else if (e === "u") end += 4;
      else if (e === "x") end += 2;
      else if (e === "c") end += 1;
      this.i = end;
      return { type: "chars", source: this.src.slice(start, end) };
    }
    if (c === "*" || c === "+" || c === "?" || c === "{") refuse(`nothing to repeat at position ${this.i}`);
    // A whole code point, so astral characters stay one atom.
    const cp = this.src.codePointAt(this.i)!;
    this.i += cp > 0xffff ? 2 : 1;
    return { type: "chars", source: this.src.slice(start, this.i) };
  }

  private quantifier(): { min: number; max: number } | null {
    const c = this.src[this.i];
    let q: { min: number; max: number } | null = null;
    if (c === "*") q = { min: 0, max: Infinity };
    else if (c === "+") q = { min: 1, max: Infinity };
    else if (c === "?") q = { min: 0, max: 1 };
    else if (c === "{") {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.i));
      if (!m) refuse(`malformed quantifier at position ${this.i}`);
      const min = Number(m[1]);
      const max = m[2] === undefined ? min : m[3] === "" ? Infinity : Number(m[3]);
      if (max !== Infinity && max < min) refuse("quantifier range out of order");
      if (min > MAX_BOUNDED_REPEAT || (max !== Infinity && max > MAX_BOUNDED_REPEAT)) {
        refuse(`repeat counts above ${MAX_BOUNDED_REPEAT} are not allowed`);
      }
      this.i += m[0].length - 1;
      q = { min, max };
    }
    if (!q) return null;
    this.i++;
    if (this.src[this.i] === "?") this.i++; // lazy: same backtracking shape
    if (++this.quantifiers > MAX_QUANTIFIERS) refuse(`more than ${MAX_QUANTIFIERS} quantifiers`);
    return q;
  }
}

const variable = (q: Quantified): boolean => q.min !== q.max;
const repeats = (q: Quantified): boolean => q.max > 1;

/** Does any quantifier inside these branches let the group match text of varying shape? */
function containsVariableQuantifier(branches: Quantified[][]): boolean {
  return branches.some((seq) =>
    seq.some((q) => variable(q) || (q.atom.type === "group" && containsVariableQuantifier(q.atom.branches))),
  );
}

/** Literal-only branches with distinct first characters cannot match the same text; nothing else is trusted. */
function alternationIsUnambiguous(branches: Quantified[][]): boolean {
  const firsts = new Set<string>();
  for (const seq of branches) {
    if (seq.length === 0) return false;
    for (const q of seq) {
      if (q.atom.type !== "chars" || variable(q) || !isLiteral(q.atom.source)) return false;
    }
    const first = (seq[0]!.atom as { source: string }).source.toLowerCase();
    if (firsts.has(first)) return false;
    firsts.add(first);
  }
  return true;
}

function isLiteral(source: string): boolean {
  if (source === ".") return false;
  if (source.startsWith("[")) return false;
  if (source.startsWith("\\")) return /^\\[^dDwWsSpP]/.test(source);
  return true;
}

function check(branches: Quantified[][], underRepeat: boolean): void {
  if (underRepeat && branches.length > 1 && !alternationIsUnambiguous(branches)) {
    refuse("alternation inside a repeated group whose branches can match the same text (like (a|a)*)");
  }
  for (const seq of branches) {
    for (const q of seq) {
      if (q.atom.type === "group") {
        if (repeats(q) && containsVariableQuantifier(q.atom.branches)) {
          refuse("nested quantifiers (a repeated group containing a quantifier, like (a+)+) are not allowed");
        }
        check(q.atom.branches, underRepeat || repeats(q));
      }
    }
  }
}

/** Refuse a hostile pattern, or compile it for RE2 with the fixed flags. Reasons never echo the pattern. */
export function compileSafePattern(pattern: string): SafePatternResult {
  if (pattern.length === 0) return { ok: false, reason: "pattern is empty" };
  if (pattern.length > MAX_PATTERN_LENGTH) return { ok: false, reason: `pattern longer than ${MAX_PATTERN_LENGTH} characters` };
  try {
    // Valid ECMAScript syntax first: the shape check below parses that dialect.
    new RegExp(pattern, SAFE_PATTERN_FLAGS);
  } catch (err) {
    if (err instanceof SyntaxError) return { ok: false, reason: "not a valid regular expression" };
    throw err;
  }
  try {
    check(new Parser(pattern).parse(), false);
  } catch (err) {
    if (err instanceof RefusedPattern) return { ok: false, reason: err.message };
    throw err;
  }
  let re2: RE2JS;
  try {
    re2 = RE2JS.compile(pattern, RE2JS.CASE_INSENSITIVE);
  } catch (err) {
    // ECMAScript-only syntax (\u escapes, some classes) that RE2 does not read.
    if (err instanceof Error) return { ok: false, reason: "uses syntax the gateway's regex engine (RE2) does not support" };
    throw err;
  }
  return { ok: true, regex: new SafePattern(pattern, re2) };
}

export interface PatternMatches {
  count: number;
  /** [start, end) offsets into the text, sorted, non-overlapping. */
  ranges: Array<[number, number]>;
  /** True when the text was longer than MAX_SCAN_CHARS and its tail was not scanned. */
  truncated: boolean;
}

/** Every non-empty match of an accepted pattern, in linear time. */
export function findAll(pattern: SafePattern, text: string): PatternMatches {
  const truncated = text.length > MAX_SCAN_CHARS;
  const input = truncated ? text.slice(0, MAX_SCAN_CHARS) : text;
  const m = pattern.re2.matcher(input);
  const ranges: Array<[number, number]> = [];
  let from = 0;
  while (from <= input.length && m.find(from)) {
    const start = m.start();
    const end = m.end();
    if (end > start) ranges.push([start, end]);
    from = end > start ? end : end + 1;
  }
  return { count: ranges.length, ranges, truncated };
}
