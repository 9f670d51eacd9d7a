export * from "./client.ts";
export * from "./secrets.ts";
export { applyMigrations, readMigrations } from "./migrate.ts";
export { CONFIG_CHANNEL, publishConfigChange, type ConfigChange } from "./config-channel.ts";
