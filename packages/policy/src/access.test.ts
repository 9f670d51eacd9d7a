import { describe, expect, it } from "vitest";
import { scopeCheck } from "./access.ts";

describe("scopeCheck", () => {
  it("an empty route list allows every route", () => {
    expect(scopeCheck({ allowedRoutes: [], allowedModels: [] }, { kind: "route", name: "support" })).toEqual({ allowed: true });
  });
  it("a route list allows only its routes", () => {
    const key = { allowedRoutes: new Set(["support"]), allowedModels: new Set<string>() };
    expect(scopeCheck(key, { kind: "route", name: "support" }).allowed).toBe(true);
    const denied = scopeCheck(key, { kind: "route", name: "billing" });
    expect(denied.allowed).toBe(false);
    if (!denied.allowed) expect(denied.error).toMatchObject({ code: "model_not_allowed", httpStatus: 403, param: "model" });
  });
  it("an empty model list allows no direct model calls", () => {
    expect(scopeCheck({ allowedRoutes: [], allowedModels: [] }, { kind: "model", name: "gpt-x" }).allowed).toBe(false);
    expect(scopeCheck({ allowedRoutes: [], allowedModels: ["gpt-x"] }, { kind: "model", name: "gpt-x" }).allowed).toBe(true);
  });
});
