// `npm start -w @gateway/proxy`: reads the environment, starts the proxy, and closes it gracefully on
// SIGTERM/SIGINT (stop accepting, finish in-flight requests, drain the request-log writer).
import { loadProxyEnv } from "./env.ts";
import { startProxy } from "./server.ts";

const env = loadProxyEnv(process.env);
const proxy = await startProxy({ env });
console.log(`[proxy] listening on ${proxy.url}`);

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`[proxy] ${signal}: closing (finishing in-flight requests, draining logs)`);
  try {
    await proxy.close();
    console.log("[proxy] closed");
    process.exit(0);
  } catch (err) {
    console.error("[proxy] close failed:", err);
    process.exit(1);
  }
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
