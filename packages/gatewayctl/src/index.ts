// Configuration as code, programmatically: the demo, the proxy's and the dashboard's tests seed tenants
// through applyConfig exactly as `gatewayctl apply` does.
export {
  applyConfig,
  cliActor,
  type ApplyActor,
  type ApplyOptions,
  type ApplyResult,
  type AppliedKey,
  type ConfigChange,
} from "./apply.ts";
export { exportConfig, exportConfigObject } from "./export.ts";
export { parseConfigFile, ConfigValidationError, type ParseResult, type ValidConfig, type ValidTenant } from "./parse.ts";
export { createKey, listKeys, revokeKey, KeyCommandError, type KeyListing, type CreateKeyInput } from "./keys.ts";
export { configFileSchema, type ConfigFile, type ConfigFileInput, type TenantConfig } from "./file-schema.ts";
export { usdToMicros, microsToUsdString } from "./usd.ts";
export { EXAMPLE_CONFIG_PATH, loadExampleConfig } from "./example.ts";
