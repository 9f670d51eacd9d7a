export { startProxy, type StartProxyOptions, type RunningProxy } from "./server.ts";
export { loadProxyEnv, proxyEnvSchema, type ProxyEnv } from "./env.ts";
