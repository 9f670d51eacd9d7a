// `${VAR}` and `${VAR:-default}` in the config file's string values, resolved before validation so a
// missing variable is reported by its path like any other error. `$${` writes a literal `${`.
import { formatPath, type PathSegment } from "./error-path.ts";

const PATTERN = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export function interpolate(
  value: unknown,
  env: NodeJS.ProcessEnv,
  errors: string[],
  path: PathSegment[] = [],
): unknown {
  if (typeof value === "string") {
    return value.replace(PATTERN, (match, name: string | undefined, fallback: string | undefined) => {
      if (match === "$${") return "${";
      const v = env[name!];
      if (v !== undefined && v !== "") return v;
      if (fallback !== undefined) return fallback;
      errors.push(`${formatPath(path)}: environment variable ${name} is not set`);
      return match;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, env, errors, [...path, i]));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, interpolate(v, env, errors, [...path, k])]),
    );
  }
  return value;
}
