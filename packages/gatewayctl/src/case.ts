// Key case conversion for free-form parameter objects (alert rule params): snake_case in the file,
// camelCase in the database.
export function camelKeys(value: unknown): unknown {
  return renameKeys(value, (k) => k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()));
}

export function snakeKeys(value: unknown): unknown {
  return renameKeys(value, (k) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`));
}

export function renameKeys(value: unknown, rename: (k: string) => string): unknown {
  if (Array.isArray(value)) return value.map((v) => renameKeys(v, rename));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [rename(k), renameKeys(v, rename)]));
  }
  return value;
}
