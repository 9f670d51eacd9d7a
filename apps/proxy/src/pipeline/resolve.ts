// `model` in a request names a route (what applications should call) or, where the key's scope allows
// it, a model directly. Unknown names are 404, names outside the key's scope 403.
import { scopeCheck } from "@gateway/policy/access";
import { GatewayError } from "@gateway/policy/errors";
import type { KeyConfig, ModelConfig, RouteConfig } from "../config/snapshot.ts";

export type Resolved = { kind: "route"; route: RouteConfig } | { kind: "model"; model: ModelConfig };

export function resolveModel(key: KeyConfig, name: string, want: "chat" | "embedding"): Resolved {
  const tenant = key.tenant;
  const route = tenant.routes.get(name);
  if (route) {
    const scope = scopeCheck(key, { kind: "route", name });
    if (!scope.allowed) throw scope.error;
    return { kind: "route", route };
  }
  const broken = tenant.brokenRoutes.get(name);
  if (broken !== undefined) {
    throw new GatewayError("service_unavailable", `route ${name} has an invalid configuration; ask its owner to fix it`, {
      param: "model",
    });
  }
  const model = tenant.models.get(name);
  if (model) {
    const scope = scopeCheck(key, { kind: "model", name });
    if (!scope.allowed) throw scope.error;
    if (model.kind !== want) {
      throw new GatewayError("invalid_request_error", `model ${name} is a ${model.kind} model, not a ${want} model`, {
        param: "model",
      });
    }
    return { kind: "model", model };
  }
  throw new GatewayError("model_not_found", `no route or model named ${name}`, { param: "model" });
}
