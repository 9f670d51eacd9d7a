// Exact conversion between the config file's decimal US dollars and the database's integer micro-dollars.
// Decimal strings are parsed digit by digit, so 0.15 is 150000 exactly, never 149999.99999999997.

const MICROS_DIGITS = 6;

/** "0.15" or 0.15 → 150000n; null when the value is not a plain non-negative decimal with ≤ 6 decimals. */
export function usdToMicros(value: number | string): bigint | null {
  // Number#toString gives the shortest decimal that round-trips, i.e. what the author wrote in the file.
  const text = typeof value === "number" ? (Number.isFinite(value) ? value.toString() : "") : value.trim();
  const m = /^(\d+)(?:\.(\d+))?$/.exec(text);
  if (!m) return null;
  const whole = m[1] ?? "0";
  const fraction = (m[2] ?? "").replace(/0+$/, "");
  if (fraction.length > MICROS_DIGITS) return null;
  return BigInt(whole) * 1_000_000n + BigInt(fraction.padEnd(MICROS_DIGITS, "0"));
}

/** 150000n → "0.15" (no trailing zeros). */
export function microsToUsdString(micros: bigint): string {
  const sign = micros < 0n ? "-" : "";
  const abs = micros < 0n ? -micros : micros;
  const whole = abs / 1_000_000n;
  const fraction = (abs % 1_000_000n).toString().padStart(MICROS_DIGITS, "0").replace(/0+$/, "");
  return fraction ? `${sign}${whole}.${fraction}` : `${sign}${whole}`;
}

/** For the YAML export: a number when it prints back exactly, else the decimal string (both parse back). */
export function microsToUsdValue(micros: bigint): number | string {
  const text = microsToUsdString(micros);
  const n = Number(text);
  return n.toString() === text ? n : text;
}
