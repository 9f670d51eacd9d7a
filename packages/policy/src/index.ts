// Import from subpaths (@gateway/policy/errors, /scopes, /routing, ...): each module is its own entry so
// the proxy's hot path loads only what it uses. This barrel re-exports the small shared basics.
export * from "./errors.ts";
export * from "./scopes.ts";
