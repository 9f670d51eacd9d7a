// Secrets at rest: gateway API keys as keyed hashes (HMAC-SHA256 under GATEWAY_SECRET_KEY), provider
// credentials and webhook secrets as AES-256-GCM ciphertext under a key derived from the same secret.
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";

export const API_KEY_PREFIX = "gw_";
const PREFIX_SHOWN = 11; // "gw_" + 8 characters: enough to tell keys apart in a list, useless to an attacker.

function secretKey(secret = process.env.GATEWAY_SECRET_KEY): string {
  if (!secret || secret.length < 16) {
    throw new Error("GATEWAY_SECRET_KEY must be set to at least 16 characters");
  }
  return secret;
}

/** A new gateway API key: the secret (shown once), its listing prefix and its keyed hash (stored). */
export function generateApiKey(secret?: string): { secret: string; prefix: string; hash: string } {
  const value = API_KEY_PREFIX + randomBytes(24).toString("base64url");
  return { secret: value, prefix: value.slice(0, PREFIX_SHOWN), hash: hashApiKey(value, secret) };
}

export function hashApiKey(apiKey: string, secret?: string): string {
  return createHmac("sha256", secretKey(secret)).update(apiKey).digest("hex");
}

export function apiKeyPrefix(apiKey: string): string {
  return apiKey.slice(0, PREFIX_SHOWN);
}

/** A keyed hash for other one-time tokens (invitations). */
export function hashToken(token: string, secret?: string): string {
  return createHmac("sha256", secretKey(secret)).update(`token:${token}`).digest("hex");
}

export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

function encryptionKey(secret?: string): Buffer {
  // Domain-separated from the HMAC use of the same operator secret.
  return createHash("sha256").update(`gateway-encryption:v1:${secretKey(secret)}`).digest();
}

/** AES-256-GCM; output "v1:<iv>:<tag>:<ciphertext>" in base64. */
export function encryptSecret(plaintext: string, secret?: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", encryptionKey(secret), iv);
  const data = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return ["v1", iv.toString("base64"), cipher.getAuthTag().toString("base64"), data.toString("base64")].join(":");
}

export function decryptSecret(ciphertext: string, secret?: string): string {
  const [version, iv, tag, data] = ciphertext.split(":");
  if (version !== "v1" || !iv || !tag || data === undefined) throw new Error("unrecognised ciphertext format");
  const decipher = createDecipheriv("aes-256-gcm", encryptionKey(secret), Buffer.from(iv, "base64"));
  decipher.setAuthTag(Buffer.from(tag, "base64"));
  return Buffer.concat([decipher.update(Buffer.from(data, "base64")), decipher.final()]).toString("utf8");
}
