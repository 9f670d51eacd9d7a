// Whether a key may call the route or model a request names. Routes: an empty allow-list means every route
// of the tenant. Models called directly: an empty allow-list means none, so keys are route-only by default.
import { GatewayError } from "./errors.ts";

export interface KeyScope {
  allowedRoutes: ReadonlySet<string> | readonly string[];
  allowedModels: ReadonlySet<string> | readonly string[];
}

export interface RequestedTarget {
  kind: "route" | "model";
  name: string;
}

function contains(list: ReadonlySet<string> | readonly string[], name: string): boolean {
  return list instanceof Set ? list.has(name) : (list as readonly string[]).includes(name);
}

function sizeOf(list: ReadonlySet<string> | readonly string[]): number {
  return list instanceof Set ? list.size : (list as readonly string[]).length;
}

export type ScopeCheck = { allowed: true } | { allowed: false; error: GatewayError };

export function scopeCheck(key: KeyScope, requested: RequestedTarget): ScopeCheck {
  if (requested.kind === "route") {
    if (sizeOf(key.allowedRoutes) === 0 || contains(key.allowedRoutes, requested.name)) return { allowed: true };
    return {
      allowed: false,
      error: new GatewayError("model_not_allowed", `this key may not call route '${requested.name}'`, { param: "model" }),
    };
  }
  if (contains(key.allowedModels, requested.name)) return { allowed: true };
  return {
    allowed: false,
    error: new GatewayError(
      "model_not_allowed",
      `this key may not call model '${requested.name}' directly; call a route it is allowed to use`,
      { param: "model" },
    ),
  };
}
