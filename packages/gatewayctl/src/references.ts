// Checks across the file that the schema alone cannot express: names that must be unique, references that
// must name something declared in the same tenant, environment variables that must be set, provider URLs
// that must not reach private networks. Runs on the raw (interpolated) file, so these errors are reported
// together with the schema's, even where a part of the file is malformed.
import { formatPath, type PathSegment } from "./error-path.ts";
import { privateUpstreamsAllowed, upstreamUrlProblem } from "./upstream-url.ts";

type Obj = Record<string, unknown>;

function entries(value: unknown): Array<[number, Obj]> {
  if (!Array.isArray(value)) return [];
  return value.flatMap((v, i): Array<[number, Obj]> =>
    v !== null && typeof v === "object" && !Array.isArray(v) ? [[i, v as Obj]] : [],
  );
}
function str(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

class Collector {
  constructor(readonly errors: string[]) {}
  add(path: PathSegment[], message: string): void {
    this.errors.push(`${formatPath(path)}: ${message}`);
  }
  /** Reports second and later uses of a name. */
  unique(items: Array<[number, Obj]>, field: string, base: PathSegment[], what: string): Set<string> {
    const seen = new Set<string>();
    for (const [i, item] of items) {
      const v = str(item[field]);
      if (v === undefined) continue;
      if (seen.has(v)) this.add([...base, i, field], `duplicate ${what} "${v}"`);
      seen.add(v);
    }
    return seen;
  }
}

function targetModels(targets: unknown, base: PathSegment[]): Array<[PathSegment[], string]> {
  const out: Array<[PathSegment[], string]> = [];
  for (const [i, t] of entries(targets)) {
    const model = str(t.model);
    if (model !== undefined) out.push([[...base, i, "model"], model]);
    for (const [j, b] of entries(t.balance)) {
      const m = str(b.model);
      if (m !== undefined) out.push([[...base, i, "balance", j, "model"], m]);
    }
  }
  return out;
}

export function checkReferences(raw: unknown, env: NodeJS.ProcessEnv, errors: string[]): void {
  if (raw === null || typeof raw !== "object") return;
  const c = new Collector(errors);
  const allowPrivate = privateUpstreamsAllowed(env);
  const tenants = entries((raw as Obj).tenants);
  c.unique(tenants, "slug", ["tenants"], "tenant slug");

  for (const [ti, t] of tenants) {
    const at = (...p: PathSegment[]): PathSegment[] => ["tenants", ti, ...p];

    const providers = entries(t.providers);
    const providerNames = c.unique(providers, "name", at("providers"), "provider name");
    for (const [i, p] of providers) {
      const envName = str(p.api_key_env);
      if (envName !== undefined && !env[envName]) {
        c.add(at("providers", i, "api_key_env"), `environment variable ${envName} is not set`);
      }
      const baseUrl = str(p.base_url);
      if (baseUrl !== undefined) {
        const problem = upstreamUrlProblem(baseUrl, allowPrivate);
        if (problem) c.add(at("providers", i, "base_url"), problem);
      } else if (p.kind === "openai_compatible") {
        c.add(at("providers", i, "base_url"), "required for kind openai_compatible");
      }
    }

    const models = entries(t.models);
    const modelNames = c.unique(models, "name", at("models"), "model name");
    const embeddingModels = new Set(models.filter(([, m]) => m.kind === "embedding").map(([, m]) => str(m.name)));
    for (const [i, m] of models) {
      const provider = str(m.provider);
      if (provider !== undefined && !providerNames.has(provider)) {
        c.add(at("models", i, "provider"), `unknown provider "${provider}" (declare it under providers)`);
      }
    }
    const checkModel = (path: PathSegment[], model: string): void => {
      if (!modelNames.has(model)) c.add(path, `unknown model "${model}" (declare it under models)`);
    };

    const routes = entries(t.routes);
    const routeNames = c.unique(routes, "name", at("routes"), "route name");
    const checkRoute = (path: PathSegment[], route: unknown): void => {
      const r = str(route);
      if (r !== undefined && !routeNames.has(r)) c.add(path, `unknown route "${r}" (declare it under routes)`);
    };
    for (const [i, r] of routes) {
      for (const [path, model] of targetModels(r.targets, at("routes", i, "targets"))) checkModel(path, model);
      for (const [u, rule] of entries(r.upgrade_rules)) {
        for (const [path, model] of targetModels(rule.targets, at("routes", i, "upgrade_rules", u, "targets"))) {
          checkModel(path, model);
        }
      }
      const sc = r.semantic_cache;
      if (sc !== null && typeof sc === "object") {
        const em = str((sc as Obj).embedding_model);
        if (em !== undefined) {
          const path = at("routes", i, "semantic_cache", "embedding_model");
          if (!modelNames.has(em)) checkModel(path, em);
          else if (!embeddingModels.has(em)) c.add(path, `model "${em}" is not an embedding model`);
        }
      }
    }

    const budgetNames = new Map<string, string>();
    const claimBudgetName = (path: PathSegment[], budgetName: string): void => {
      const first = budgetNames.get(budgetName);
      if (first !== undefined) c.add(path, `duplicate budget name "${budgetName}" (also used at ${first})`);
      else budgetNames.set(budgetName, formatPath(path));
    };
    const checkBudgetAction = (path: PathSegment[], b: Obj): void => {
      if (b.action === "downgrade" && b.downgrade_route === undefined) {
        c.add([...path, "downgrade_route"], "required when action is downgrade");
      }
      if (b.downgrade_route !== undefined && b.action !== "downgrade") {
        c.add([...path, "downgrade_route"], "only allowed when action is downgrade");
      }
      checkRoute([...path, "downgrade_route"], b.downgrade_route);
    };

    const apps = entries(t.apps);
    const appSlugs = c.unique(apps, "slug", at("apps"), "app slug");
    const keyRefs = new Set<string>();
    for (const [ai, a] of apps) {
      const envs = entries(a.environments);
      c.unique(envs, "name", at("apps", ai, "environments"), "environment name");
      for (const [ei, e] of envs) {
        const keys = entries(e.keys);
        c.unique(keys, "name", at("apps", ai, "environments", ei, "keys"), "key name");
        for (const [ki, k] of keys) {
          const kp = at("apps", ai, "environments", ei, "keys", ki);
          keyRefs.add(`${str(a.slug)}/${str(e.name)}/${str(k.name)}`);
          for (const [ri, r] of Array.isArray(k.allowed_routes) ? k.allowed_routes.entries() : []) {
            checkRoute([...kp, "allowed_routes", ri], r);
          }
          for (const [mi, m] of Array.isArray(k.allowed_models) ? k.allowed_models.entries() : []) {
            const model = str(m);
            if (model !== undefined) checkModel([...kp, "allowed_models", mi], model);
          }
          const budget = k.budget;
          if (budget !== null && typeof budget === "object") {
            const b = budget as Obj;
            checkBudgetAction([...kp, "budget"], b);
            claimBudgetName([...kp, "budget", "name"], str(b.name) ?? `key:${str(a.slug)}/${str(e.name)}/${str(k.name)}`);
          }
        }
      }
    }

    const checkSubject = (path: PathSegment[], item: Obj): void => {
      const app = str(item.app);
      if (app !== undefined && !appSlugs.has(app)) c.add([...path, "app"], `unknown app "${app}" (declare it under apps)`);
      const key = str(item.key);
      if (key !== undefined && !keyRefs.has(key)) c.add([...path, "key"], `unknown key "${key}" (declare it under apps)`);
      checkRoute([...path, "route"], item.route);
    };
    for (const [i, b] of entries(t.budgets)) {
      const bp = at("budgets", i);
      const budgetName = str(b.name);
      if (budgetName !== undefined) claimBudgetName([...bp, "name"], budgetName);
      checkBudgetAction(bp, b);
      checkScopeRefs(c, bp, b, ["tenant", "app", "key", "route"]);
      checkSubject(bp, b);
    }

    const limitIds = new Set<string>();
    for (const [i, r] of entries(t.rate_limits)) {
      const rp = at("rate_limits", i);
      checkScopeRefs(c, rp, r, ["tenant", "app", "key", "route", "model"]);
      checkSubject(rp, r);
      const model = str(r.model);
      if (model !== undefined) checkModel([...rp, "model"], model);
      const id = rateLimitIdentity(r);
      if (limitIds.has(id)) c.add([...rp, "scope"], "duplicate rate limit for the same scope (merge rpm and tpm into one entry)");
      limitIds.add(id);
    }

    const alertRules = entries(t.alert_rules);
    c.unique(alertRules, "name", at("alert_rules"), "alert rule name");
    for (const [i, a] of alertRules) {
      const envName = str(a.webhook_secret_env);
      if (envName !== undefined && !env[envName]) {
        c.add(at("alert_rules", i, "webhook_secret_env"), `environment variable ${envName} is not set`);
      }
    }
  }
}

const SCOPE_FIELD: Record<string, string | null> = { tenant: null, app: "app", key: "key", route: "route", model: "model" };

/** A scoped entry names exactly the thing its scope needs, and nothing else. */
function checkScopeRefs(c: Collector, path: PathSegment[], item: Obj, scopes: string[]): void {
  const scope = str(item.scope);
  if (scope === undefined || !scopes.includes(scope)) return;
  const needed = SCOPE_FIELD[scope];
  for (const s of scopes) {
    const field = SCOPE_FIELD[s];
    if (!field) continue;
    if (field === needed && item[field] === undefined) c.add([...path, field], `required for scope ${scope}`);
    if (field !== needed && item[field] !== undefined) c.add([...path, field], `not allowed for scope ${scope}`);
  }
}

export function rateLimitIdentity(r: { scope?: unknown; app?: unknown; key?: unknown; route?: unknown; model?: unknown }): string {
  return JSON.stringify([r.scope, r.app ?? null, r.key ?? null, r.route ?? null, r.model ?? null]);
}
