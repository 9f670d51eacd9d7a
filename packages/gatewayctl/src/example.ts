// The demo's examples/gateway.yaml, for the demo script and for other workspaces' tests that seed a
// tenant exactly as a user would (each test under its own slug, against its own mock provider URL).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";

export const EXAMPLE_CONFIG_PATH = fileURLToPath(new URL("../../../examples/gateway.yaml", import.meta.url));

/**
 * The example as a raw (not yet validated) object, its tenant renamed to `slug`; edit it freely and pass
 * it to applyConfig. `${MOCK_PROVIDER_URL}` is resolved at apply time from ApplyOptions.env.
 */
// The file is not validated until applyConfig, so its shape here is whatever the YAML holds.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function loadExampleConfig(opts: { slug?: string } = {}): any {
  const raw = parse(readFileSync(EXAMPLE_CONFIG_PATH, "utf8"));
  if (opts.slug) raw.tenants[0].slug = opts.slug;
  return raw;
}
