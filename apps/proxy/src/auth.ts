// Key authentication against the in-memory snapshot: `Authorization: Bearer gw_...` (OpenAI SDKs) or
// `x-api-key` (Anthropic SDK). One HMAC and one map lookup; no I/O.
import type { IncomingHttpHeaders } from "node:http";
import { hashApiKey } from "@gateway/db";
import { GatewayError } from "@gateway/policy/errors";
import type { ConfigSnapshot, KeyConfig } from "./config/snapshot.ts";

function presentedKey(headers: IncomingHttpHeaders): string | null {
  const auth = headers.authorization;
  if (auth) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    return m?.[1] ?? null;
  }
  const x = headers["x-api-key"];
  if (typeof x === "string" && x.length > 0) return x.trim();
  return null;
}

// Key hashes of keys that authenticated, so a busy key costs a map lookup instead of an HMAC per request.
// Only known keys get in (an attacker's guesses do not), and the map is bounded; a revoked or expired key is
// still refused, since the snapshot is consulted on every request.
const knownHashes = new Map<string, string>();
const KNOWN_HASHES_MAX = 10_000;

export function authenticate(
  headers: IncomingHttpHeaders,
  snapshot: ConfigSnapshot,
  secretKey: string,
  now: number,
): KeyConfig {
  const secret = presentedKey(headers);
  if (!secret) {
    throw new GatewayError("invalid_api_key", "missing API key: send `Authorization: Bearer gw_...` or `x-api-key`");
  }
  const cacheKey = `${secretKey}\u0000${secret}`;
  const hash = knownHashes.get(cacheKey) ?? hashApiKey(secret, secretKey);
  const key = snapshot.keysByHash.get(hash);
  // One message for unknown, revoked and expired keys: the caller learns nothing about which keys exist.
  if (!key || key.revokedAt !== null || (key.expiresAt !== null && key.expiresAt <= now)) {
    throw new GatewayError("invalid_api_key", "invalid API key: unknown, revoked or expired");
  }
  if (knownHashes.size >= KNOWN_HASHES_MAX) knownHashes.clear();
  knownHashes.set(cacheKey, hash);
  return key;
}
