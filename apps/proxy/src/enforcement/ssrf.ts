// The SSRF guard: a provider base URL is tenant configuration, so without a guard anyone who may edit a
// provider could make the proxy call its own metadata service or internal network. Base URLs must resolve
// to public addresses unless the operator sets GATEWAY_ALLOW_PRIVATE_UPSTREAMS=1 (the demo and tests, whose
// mock provider listens on loopback).
//
// Checking a URL once is not enough against DNS rebinding (a name that resolves to a public address when
// checked and a private one when connected), so `createGuardedLookup` also checks every address at connect
// time; pass it to the HTTP client's connector.
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { promisify } from "node:util";
import type { LookupFunction } from "node:net";
import { classifyAddress, isIpLiteral, type AddressClass } from "@gateway/policy/ip-address";

export class UpstreamAddressError extends Error {
  constructor(
    message: string,
    readonly addressClass: AddressClass | "scheme" | "unresolvable",
  ) {
    super(message);
    this.name = "UpstreamAddressError";
  }
}

export interface UpstreamGuardOptions {
  allowPrivate: boolean;
  /** DNS resolution, replaceable in tests. Returns every address of the name. */
  resolve?: (hostname: string) => Promise<LookupAddress[]>;
}

const lookupAll = promisify(dnsLookup);
const defaultResolve = (hostname: string) => lookupAll(hostname, { all: true, verbatim: true });

function refusal(hostname: string, address: string, cls: AddressClass): UpstreamAddressError {
  const where = hostname === address ? address : `${hostname} (${address})`;
  return new UpstreamAddressError(
    `provider base URL points at a ${cls.replace("_", "-")} address ${where}; set GATEWAY_ALLOW_PRIVATE_UPSTREAMS=1 to allow it`,
    cls,
  );
}

/**
 * Resolves the URL's host and refuses it unless every address is public (a name with one private address
 * among public ones is refused too: which one gets used is up to the resolver). Throws UpstreamAddressError.
 */
export async function assertPublicUpstream(url: string, opts: UpstreamGuardOptions): Promise<void> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UpstreamAddressError(`provider base URL is not a valid URL`, "scheme");
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw new UpstreamAddressError(`provider base URL must use http or https, not ${parsed.protocol}`, "scheme");
  }
  if (opts.allowPrivate) return;
  const hostname = parsed.hostname.replace(/^\[|\]$/g, "");
  if (isIpLiteral(hostname)) {
    const cls = classifyAddress(hostname);
    if (cls !== "public") throw refusal(hostname, hostname, cls);
    return;
  }
  let addresses: LookupAddress[];
  try {
    addresses = await (opts.resolve ?? defaultResolve)(hostname);
  } catch (err) {
    const code = err instanceof Error && "code" in err ? String((err as { code: unknown }).code) : "error";
    throw new UpstreamAddressError(`provider base URL host ${hostname} does not resolve (${code})`, "unresolvable");
  }
  if (addresses.length === 0) throw new UpstreamAddressError(`provider base URL host ${hostname} does not resolve`, "unresolvable");
  for (const a of addresses) {
    const cls = classifyAddress(a.address);
    if (cls !== "public") throw refusal(hostname, a.address, cls);
  }
}

/**
 * A `lookup` for net/tls/undici connectors that refuses non-public addresses at connect time, so a DNS
 * answer that changes after the base URL was checked cannot reach the internal network.
 * Usage: `new Agent({ connect: { lookup: createGuardedLookup({ allowPrivate }) } })`.
 */
export function createGuardedLookup(opts: { allowPrivate: boolean }): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, "", 0);
      const list = addresses as LookupAddress[];
      if (!opts.allowPrivate) {
        for (const a of list) {
          const cls = classifyAddress(a.address);
          if (cls !== "public") return callback(refusal(hostname, a.address, cls) as NodeJS.ErrnoException, "", 0);
        }
      }
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
      const first = list[0];
      if (!first) return callback(new Error(`no address for ${hostname}`) as NodeJS.ErrnoException, "", 0);
      callback(null, first.address, first.family);
    });
  };
}
