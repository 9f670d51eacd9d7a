// What kind of network an IP address belongs to, for the SSRF guard: a provider base URL may only reach
// public addresses unless the operator allows private ones. Parsing is done here (no node:net) so the
// dashboard can show the same verdict when someone types a base URL.

export type AddressClass =
  | "public"
  | "loopback"
  | "private"
  | "link_local"
  | "unspecified"
  | "cgnat"
  | "multicast"
  | "reserved"
  | "invalid";

export function parseIPv4(text: string): number[] | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const bytes: number[] = [];
  for (const p of parts) {
    // Strict decimal only: "0x7f.1" and "0177.0.0.1" are how SSRF filters get bypassed.
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    bytes.push(n);
  }
  return bytes;
}

export function parseIPv6(text: string): number[] | null {
  let s = text;
  if (s.startsWith("[") && s.endsWith("]")) s = s.slice(1, -1);
  const zone = s.indexOf("%");
  if (zone >= 0) s = s.slice(0, zone);
  if (!s.includes(":")) return null;
  let tail: number[] = [];
  const lastColon = s.lastIndexOf(":");
  const maybeV4 = s.slice(lastColon + 1);
  if (maybeV4.includes(".")) {
    const v4 = parseIPv4(maybeV4);
    if (!v4) return null;
    tail = v4;
    s = s.slice(0, lastColon + 1) + "0:0"; // placeholder groups, replaced below
  }
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const groupsOf = (h: string | undefined) => (h === undefined || h === "" ? [] : h.split(":"));
  const head = groupsOf(halves[0]);
  const rest = groupsOf(halves[1]);
  const total = halves.length === 2 ? 8 : head.length;
  if (halves.length === 1 && head.length !== 8) return null;
  if (halves.length === 2 && head.length + rest.length > 7) return null;
  const groups = [...head, ...Array<string>(total - head.length - rest.length).fill("0"), ...rest];
  const bytes: number[] = [];
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
    const n = parseInt(g, 16);
    bytes.push(n >> 8, n & 0xff);
  }
  if (tail.length === 4) bytes.splice(12, 4, ...tail);
  return bytes.length === 16 ? bytes : null;
}

function classifyV4(b: number[]): AddressClass {
  const [a = 0, c = 0, d = 0, e = 0] = b;
  if (a === 0) return a === 0 && c === 0 && d === 0 && e === 0 ? "unspecified" : "reserved";
  if (a === 127) return "loopback";
  if (a === 10) return "private";
  if (a === 172 && c >= 16 && c <= 31) return "private";
  if (a === 192 && c === 168) return "private";
  if (a === 169 && c === 254) return "link_local"; // includes the cloud metadata address 169.254.169.254
  if (a === 100 && c >= 64 && c <= 127) return "cgnat";
  if (a === 192 && c === 0 && d === 0) return "reserved"; // IETF protocol assignments
  if (a === 198 && (c === 18 || c === 19)) return "reserved"; // benchmarking
  if (a >= 224 && a <= 239) return "multicast";
  if (a >= 240) return "reserved"; // includes 255.255.255.255
  return "public";
}

function classifyV6(b: number[]): AddressClass {
  const isZero = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  if (isZero(0, 16)) return "unspecified";
  if (isZero(0, 15) && b[15] === 1) return "loopback";
  // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d) addresses reach the IPv4 address.
  if (isZero(0, 10) && b[10] === 0xff && b[11] === 0xff) return classifyV4(b.slice(12));
  if (isZero(0, 12)) return classifyV4(b.slice(12));
  // NAT64 (64:ff9b::/96) reaches the embedded IPv4 address too.
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && isZero(4, 12)) return classifyV4(b.slice(12));
  // 6to4 (2002::/16) embeds an IPv4 address in bytes 2..5.
  if (b[0] === 0x20 && b[1] === 0x02) return classifyV4(b.slice(2, 6));
  const first = b[0] ?? 0;
  const second = b[1] ?? 0;
  if ((first & 0xfe) === 0xfc) return "private"; // fc00::/7 unique local
  if (first === 0xfe && (second & 0xc0) === 0x80) return "link_local"; // fe80::/10
  if (first === 0xfe && (second & 0xc0) === 0xc0) return "private"; // fec0::/10 deprecated site-local
  if (first === 0xff) return "multicast";
  return "public";
}

/** The class of an address literal (IPv4 dotted quad, or IPv6 with or without brackets/zone). */
export function classifyAddress(text: string): AddressClass {
  const v4 = parseIPv4(text);
  if (v4) return classifyV4(v4);
  const v6 = parseIPv6(text);
  if (v6) return classifyV6(v6);
  return "invalid";
}

export function isIpLiteral(text: string): boolean {
  return parseIPv4(text) !== null || parseIPv6(text) !== null;
}
