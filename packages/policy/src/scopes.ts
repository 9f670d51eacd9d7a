// Scopes are "resource:action" strings; roles map to scopes here, and the dashboard, the CLI and the proxy
// all ask `can()`.

export const SCOPES = [
  "tenant:read",
  "tenant:update",
  "members:read",
  "members:manage",
  "apps:read",
  "apps:write",
  "keys:read",
  "keys:write",
  "providers:read",
  "providers:write",
  "models:read",
  "models:write",
  "routes:read",
  "routes:write",
  "budgets:read",
  "budgets:write",
  "limits:read",
  "limits:write",
  "logs:read",
  "logs:read_bodies",
  "costs:read",
  "costs:export",
  "reviews:read",
  "reviews:write",
  "alerts:read",
  "alerts:write",
  "audit:read",
  "simulator:use",
] as const;

export type Scope = (typeof SCOPES)[number];

export const ROLES = ["owner", "admin", "platform", "product", "finance", "viewer"] as const;
export type Role = (typeof ROLES)[number];

const READ_ALL: Scope[] = SCOPES.filter((s) => s.endsWith(":read") && s !== "logs:read_bodies");

const ROLE_SCOPES: Record<Role, ReadonlySet<Scope>> = {
  owner: new Set(SCOPES),
  // Admins do everything but only owners may change other owners (checked where memberships change).
  admin: new Set(SCOPES),
  platform: new Set<Scope>([
    ...READ_ALL,
    "apps:write",
    "keys:write",
    "providers:write",
    "models:write",
    "limits:write",
    "alerts:write",
    "simulator:use",
  ]),
  product: new Set<Scope>([
    ...READ_ALL,
    "routes:write",
    "budgets:write",
    "reviews:write",
    "logs:read_bodies",
    "simulator:use",
  ]),
  finance: new Set<Scope>([
    "tenant:read",
    "apps:read",
    "models:read",
    "routes:read",
    "budgets:read",
    "limits:read",
    "costs:read",
    "costs:export",
    "logs:read",
    "alerts:read",
  ]),
  viewer: new Set<Scope>(READ_ALL.filter((s) => s !== "audit:read" && s !== "members:read")),
};

export function scopesOf(role: Role): ReadonlySet<Scope> {
  return ROLE_SCOPES[role];
}

export function can(role: Role, scope: Scope): boolean {
  return ROLE_SCOPES[role].has(scope);
}
