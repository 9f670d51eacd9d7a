// Rate limits, budgets, fail modes and the SSRF guard: what the request pipeline calls around an upstream call.
export * from "./enforcer.ts";
export { createEnforcementRedis } from "./redis-client.ts";
export { pgSpendSource, type SpendSource, type SpendQuery, type SqlQueryable } from "./spend-source.ts";
export { assertPublicUpstream, createGuardedLookup, UpstreamAddressError } from "./ssrf.ts";
