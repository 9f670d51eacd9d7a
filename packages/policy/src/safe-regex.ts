// Tenant-defined regexes (banned patterns) run on the hot path against untrusted text, in a backtracking
// engine. A pattern is refused before use when its shape allows catastrophic backtracking:
//   - star height > 1: a repeated group that contains a variable quantifier — (a+)+, (x+x+)+y, (.*){1,32000},
//     (a?){20}a{20};
//   - alternation under repetition whose branches can match the same text — (a|a)*, (a|ab)*;
//   - two adjacent variable quantifiers over overlapping characters — \d+\d+, .*.*, \w*\s*\w*;
//   - backreferences and lookbehind (unbounded work, and no linear bound), huge bounded repeats, long sources.
// Accepted patterns compile with one fixed flag set, and `findAll` only runs them on bounded windows of text,
// so what polynomial backtracking remains is capped by the window size.

const MAX_PATTERN_LENGTH = 512;
const MAX_BOUNDED_REPEAT = 1000;
const MAX_QUANTIFIERS = 32;
const MAX_GROUP_DEPTH = 8;
/** Case-insensitive (banned words rarely care about case), unicode (strict syntax: bad escapes are errors). */
export const SAFE_PATTERN_FLAGS = "giu";
/** Text is scanned in windows of this many characters, overlapping so a match across a seam is still found. */
export const SCAN_WINDOW = 4096;
export const SCAN_OVERLAP = 256;
/** Upper bound on the text a pattern ever sees (longer input is scanned up to here and flagged as truncated). */
export const MAX_SCAN_CHARS = 256 * 1024;

export type SafePatternResult = { ok: true; regex: RegExp } | { ok: false; reason: string };

interface Quantified {
  atom: Atom;
  min: number;
  max: number; // Infinity when unbounded
}
type Atom =
  | { type: "chars"; source: string } // a literal, an escape class, a [class] or `.`
  | { type: "assertion" } // ^ $ \b \B and lookahead
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
      let lookahead = false;
      if (this.src.startsWith("?:", this.i)) this.i += 2;
      else if (this.src.startsWith("?=", this.i) || this.src.startsWith("?!", this.i)) {
        this.i += 2;
        lookahead = true;
      } else if (this.src.startsWith("?<=", this.i) || this.src.startsWith("?<!", this.i)) refuse("lookbehind is not allowed");
      else if (this.src.startsWith("?<", this.i)) {
        const close = this.src.indexOf(">", this.i);
        if (close < 0) refuse("unterminated group name");
        this.i = close + 1;
      } else if (c === "(" && this.src[this.i] === "?") refuse("unsupported group syntax");
      const branches = this.alternation(depth + 1);
      if (this.src[this.i] !== ")") refuse("unterminated group");
      this.i++;
      return lookahead ? { type: "assertion" } : { type: "group", branches };
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

/** Characters we probe atoms with to decide whether two atoms can match the same character. */
const PROBE_CHARS = [
  ..."abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
  ..." \t\n\r.,;:!?'\"-_/\\@#$%^&*()[]{}<>+=|~`",
  "é",
  "ß",
  "中",
  "ж",
  "😀",
  "\u00a0",
];

function charsMatched(atom: Atom): Set<string> | "any" {
  if (atom.type !== "chars") return "any";
  const re = new RegExp(`^(?:${atom.source})$`, "iu");
  return new Set(PROBE_CHARS.filter((ch) => re.test(ch)));
}

function overlaps(a: Atom, b: Atom): boolean {
  const sa = charsMatched(a);
  const sb = charsMatched(b);
  if (sa === "any" || sb === "any") return true;
  for (const ch of sa) if (sb.has(ch)) return true;
  return false;
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
    for (let k = 0; k < seq.length; k++) {
      const q = seq[k]!;
      if (q.atom.type === "group") {
        if (repeats(q) && containsVariableQuantifier(q.atom.branches)) {
          refuse("nested quantifiers (a repeated group containing a quantifier, like (a+)+) are not allowed");
        }
        check(q.atom.branches, underRepeat || repeats(q));
      }
      // Adjacent variable quantifiers over shared characters split the same text in O(n^k) ways.
      if (variable(q)) {
        for (let j = k + 1; j < seq.length; j++) {
          const next = seq[j]!;
          if (next.atom.type === "assertion") continue;
          if (variable(next) && q.max > 1 && next.max > 1 && overlaps(q.atom, next.atom)) {
            refuse("two adjacent quantifiers that can match the same characters (like \\d+\\d+ or .*.*)");
          }
          // Only optional items (min 0) let the two quantifiers touch; anything mandatory ends the run.
          if (next.min > 0) break;
        }
      }
    }
  }
}

/** Refuse a hostile pattern, or compile it with the fixed flag set. Reasons never echo the pattern. */
export function compileSafePattern(pattern: string): SafePatternResult {
  if (pattern.length === 0) return { ok: false, reason: "pattern is empty" };
  if (pattern.length > MAX_PATTERN_LENGTH) return { ok: false, reason: `pattern longer than ${MAX_PATTERN_LENGTH} characters` };
  let regex: RegExp;
  try {
    regex = new RegExp(pattern, SAFE_PATTERN_FLAGS);
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
  return { ok: true, regex };
}

export interface PatternMatches {
  count: number;
  /** [start, end) offsets into the text, sorted, non-overlapping. */
  ranges: Array<[number, number]>;
  /** True when the text was longer than MAX_SCAN_CHARS and its tail was not scanned. */
  truncated: boolean;
}

/**
 * Every match of a pattern accepted by compileSafePattern, scanning windows of SCAN_WINDOW characters
 * (overlapping by SCAN_OVERLAP). A match longer than SCAN_OVERLAP that straddles a seam can be missed: the
 * price of bounding each run.
 */
export function findAll(regex: RegExp, text: string): PatternMatches {
  const truncated = text.length > MAX_SCAN_CHARS;
  const limit = Math.min(text.length, MAX_SCAN_CHARS);
  const re = new RegExp(regex.source, regex.flags.includes("g") ? regex.flags : `${regex.flags}g`);
  const ranges: Array<[number, number]> = [];
  let covered = 0; // matches must start at or after the end of the previous one
  for (let start = 0; start < limit || start === 0; start += SCAN_WINDOW - SCAN_OVERLAP) {
    const end = Math.min(limit, start + SCAN_WINDOW);
    const window = text.slice(start, end);
    re.lastIndex = 0;
    for (let m = re.exec(window); m !== null; m = re.exec(window)) {
      if (m[0].length === 0) {
        re.lastIndex++;
        continue;
      }
      const from = start + m.index;
      const to = from + m[0].length;
      if (from >= covered) {
        ranges.push([from, to]);
        covered = to;
      }
    }
    if (end >= limit) break;
  }
  return { count: ranges.length, ranges, truncated };
}
