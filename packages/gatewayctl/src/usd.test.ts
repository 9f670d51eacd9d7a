import { describe, expect, it } from "vitest";
import { microsToUsdString, microsToUsdValue, usdToMicros } from "./usd.ts";

describe("US dollars to micro-dollars", () => {
  it("converts decimals exactly, where float arithmetic would drift", () => {
    expect(usdToMicros(0.15)).toBe(150_000n);
    expect(usdToMicros(0.3)).toBe(300_000n);
    expect(usdToMicros(1.1)).toBe(1_100_000n); // 1.1 * 1e6 is 1100000.0000000002 in floats
    expect(usdToMicros(4.35)).toBe(4_350_000n); // 4.35 * 1e6 is 4349999.999999999 in floats
    expect(usdToMicros("0.000001")).toBe(1n);
    expect(usdToMicros(2.5)).toBe(2_500_000n);
    expect(usdToMicros(1000)).toBe(1_000_000_000n);
    expect(usdToMicros("12345678901.5")).toBe(12_345_678_901_500_000n);
    expect(usdToMicros(0)).toBe(0n);
  });

  it("refuses what is not a plain non-negative amount of at most a micro-dollar's precision", () => {
    expect(usdToMicros(-1)).toBeNull();
    expect(usdToMicros("0.0000001")).toBeNull();
    expect(usdToMicros(1e-7)).toBeNull();
    expect(usdToMicros("1,5")).toBeNull();
    expect(usdToMicros("")).toBeNull();
    expect(usdToMicros(Number.NaN)).toBeNull();
    expect(usdToMicros(Number.POSITIVE_INFINITY)).toBeNull();
  });

  it("prints micro-dollars back as the decimal the file had", () => {
    expect(microsToUsdString(150_000n)).toBe("0.15");
    expect(microsToUsdString(10_000_000n)).toBe("10");
    expect(microsToUsdString(1n)).toBe("0.000001");
    expect(microsToUsdValue(75_000n)).toBe(0.075);
    expect(microsToUsdValue(12_345_678_901_234_567n)).toBe("12345678901.234567");
    for (const v of [0.15, 0.6, 2.5, 0.075, 1.1, 4.35, 1000]) expect(microsToUsdValue(usdToMicros(v)!)).toBe(v);
  });
});
