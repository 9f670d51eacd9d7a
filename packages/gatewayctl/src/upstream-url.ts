// Provider base URLs must not point the gateway at its own network (SSRF): loopback, private, link-local
// and other non-public addresses are refused unless GATEWAY_ALLOW_PRIVATE_UPSTREAMS=1 (the demo's mock
// provider lives on loopback). The address classes are the proxy's (@gateway/policy/ip-address); here only
// literal addresses and localhost names are checked, without DNS — the proxy checks every resolved address
// again when it connects, which also covers DNS rebinding.
import { classifyAddress, isIpLiteral } from "@gateway/policy/ip-address";

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
  if (isIpLiteral(host)) {
    const cls = classifyAddress(host);
    if (cls !== "public") {
      return `points at a ${cls.replace("_", "-")} address, not a public one (set GATEWAY_ALLOW_PRIVATE_UPSTREAMS=1 to allow)`;
    }
  }
  return null;
}
