// GET /healthz (the process is up) and GET /readyz (Postgres and Redis answer), as JSON.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export type ReadinessCheck = () => Promise<void>;

export async function startHealthServer(
  port: number,
  checks: Record<string, ReadinessCheck>,
): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET")
      return send(405, {
        error: { message: "method not allowed", type: "invalid_request_error", param: null, code: null },
      });
    if (path === "/healthz") return send(200, { status: "ok" });
    if (path === "/readyz") {
      const names = Object.keys(checks);
      void Promise.allSettled(names.map((n) => checks[n]!())).then((results) => {
        const detail: Record<string, string> = {};
        results.forEach((r, i) => {
          // Only the failure's kind: connection strings and hosts stay out of a public endpoint.
          detail[names[i]!] =
            r.status === "fulfilled" ? "ok" : `error: ${r.reason instanceof Error ? r.reason.name : "unknown"}`;
        });
        const ready = results.every((r) => r.status === "fulfilled");
        send(ready ? 200 : 503, { status: ready ? "ready" : "not_ready", checks: detail });
      });
      return;
    }
    send(404, { error: { message: `no route ${path}`, type: "invalid_request_error", param: null, code: null } });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "0.0.0.0", () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}
