// GET /v1/models: the routes and models this key may call, in OpenAI's list shape. Routes come first
// because they are what applications should call.
import type { KeyConfig } from "../config/snapshot.ts";

export interface ModelListEntry {
  id: string;
  object: "model";
  created: number;
  owned_by: string;
  /** "route" or "model": which kind of name this is. */
  gateway_kind: "route" | "model";
}

export function listModelsForKey(key: KeyConfig, snapshotLoadedAt: number): { object: "list"; data: ModelListEntry[] } {
  const created = Math.floor(snapshotLoadedAt / 1000);
  const data: ModelListEntry[] = [];
  const tenant = key.tenant;
  for (const route of tenant.routes.values()) {
    if (key.allowedRoutes.size === 0 || key.allowedRoutes.has(route.name)) {
      data.push({ id: route.name, object: "model", created, owned_by: tenant.slug, gateway_kind: "route" });
    }
  }
  for (const name of key.allowedModels) {
    const model = tenant.models.get(name);
    if (model && !tenant.routes.has(name)) {
      data.push({ id: model.name, object: "model", created, owned_by: model.provider.name, gateway_kind: "model" });
    }
  }
  return { object: "list", data };
}

/** GET /v1/models/{id}: one entry, if this key may call it. */
export function findModelForKey(key: KeyConfig, id: string, snapshotLoadedAt: number): ModelListEntry | null {
  return listModelsForKey(key, snapshotLoadedAt).data.find((m) => m.id === id) ?? null;
}
