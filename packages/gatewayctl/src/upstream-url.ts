// Provider base URLs must not point the gateway at its own network (SSRF): loopback, private, link-local
// and unique-local addresses are refused unless GATEWAY_ALLOW_PRIVATE_UPSTREAMS=1 (the demo's mock
// provider lives on loopback). Hostnames are not resolved here; this catches literal addresses and
// localhost names at apply time.
import { BlockList, isIP } from "node:net";

const blocked = new BlockList();
for (const [net, bits] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.168.0.0", 16],
] as const) {
  blocked.addSubnet(net, bits, "ipv4");
}
for (const [net, bits] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7],
  ["fe80::", 10],
] as const) {
  blocked.addSubnet(net, bits, "ipv6");
}

export function privateUpstreamsAllowed(env: NodeJS.ProcessEnv): boolean {
  return env.GATEWAY_ALLOW_PRIVATE_UPSTREAMS === "1" || env.GATEWAY_ALLOW_PRIVATE_UPSTREAMS === "true";
}

/** Why `url` may not be used as a provider base URL, or null when it may. */
export function upstreamUrlProblem(url: string, allowPrivate: boolean): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "expected an absolute http(s) URL";
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return "expected an http or https URL";
  if (parsed.username || parsed.password) return "credentials in the URL are not allowed; use api_key or api_key_env";
  if (allowPrivate) return null;
  const host = parsed.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (host === "localhost" || host.endsWith(".localhost")) {
    return "points at a loopback address (set GATEWAY_ALLOW_PRIVATE_UPSTREAMS=1 to allow)";
  }
  let family = isIP(host);
  let address = host;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(host);
  if (mapped?.[1]) {
    address = mapped[1];
    family = 4;
  }
  if (family !== 0 && blocked.check(address, family === 4 ? "ipv4" : "ipv6")) {
    return "points at a private, loopback or link-local address (set GATEWAY_ALLOW_PRIVATE_UPSTREAMS=1 to allow)";
  }
  return null;
}
