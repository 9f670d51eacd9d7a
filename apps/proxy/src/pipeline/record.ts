// What one client request did, accumulated as the pipeline runs and turned into one request log row at
// the end, whatever the outcome (success, upstream error, rejection).
import type { KeyConfig } from "../config/snapshot.ts";
import type { RequestLogAttempt, RequestLogRow } from "../logging/row.ts";
import type { GatewayHeaders } from "./gateway-headers.ts";

export interface AttemptRecord extends RequestLogAttempt {
  /** Secret-free description of a failure, for people reading the log. */
  message?: string;
  validator?: "pass" | "fail";
}

export type Endpoint = "chat" | "embeddings" | "messages";

/** The outcome fields a record carries exactly as its log row stores them (logging/row.ts owns their shape). */
type LoggedOutcome = Pick<
  RequestLogRow,
  | "id"
  | "createdAt"
  | "requestedModel"
  | "routeId"
  | "routeName"
  | "routeVersion"
  | "finalModel"
  | "provider"
  | "retryCount"
  | "fallbackUsed"
  | "downgraded"
  | "status"
  | "httpStatus"
  | "errorCode"
  | "midStreamFailure"
  | "inputTokens"
  | "outputTokens"
  | "cachedTokens"
  | "tokensEstimated"
  | "costMicros"
  | "ttftMs"
  | "stream"
  | "validatorResult"
  | "reviewItemId"
  | "cacheHit"
  | "costSavedMicros"
  | "guardrailFindings"
>;

export interface RequestRecord extends LoggedOutcome {
  startedAt: number;
  endpoint: Endpoint;
  key: KeyConfig;
  headers: GatewayHeaders | null;
  attempts: AttemptRecord[];
  requestBody: unknown;
  responseBody: unknown;
  /**
   * Bad input (malformed body, wrong types, unknown fields, an oversized body): refused before any policy
   * or upstream work, so it leaves no request log row and no spend — only a metric.
   */
  badInput: boolean;
  /**
   * Ends the record: enqueues its log row (once). Called as soon as the client has its answer, before the
   * settlement round trip, so a client that reads its log right after the response finds the row queued.
   */
  finish: () => void;
}

export function newRecord(id: string, key: KeyConfig, endpoint: Endpoint, now: number): RequestRecord {
  return {
    id,
    startedAt: now,
    createdAt: new Date(now),
    endpoint,
    key,
    headers: null,
    requestedModel: "",
    routeId: null,
    routeName: null,
    routeVersion: null,
    finalModel: null,
    provider: null,
    attempts: [],
    retryCount: 0,
    fallbackUsed: false,
    downgraded: false,
    status: "success",
    httpStatus: 200,
    errorCode: null,
    midStreamFailure: false,
    inputTokens: 0,
    outputTokens: 0,
    cachedTokens: 0,
    tokensEstimated: false,
    costMicros: 0n,
    ttftMs: null,
    stream: false,
    validatorResult: "none",
    reviewItemId: null,
    cacheHit: "none",
    costSavedMicros: 0n,
    guardrailFindings: null,
    requestBody: null,
    responseBody: null,
    badInput: false,
    finish: () => undefined,
  };
}

/** A body for the log, only if the tenant keeps bodies, cut to its byte cap (kept as valid JSON). */
export function bodyForLog(record: RequestRecord, body: unknown): unknown {
  const tenant = record.key.tenant;
  if (!tenant.logBodies || body === undefined || body === null) return null;
  const text = JSON.stringify(body);
  if (Buffer.byteLength(text) <= tenant.bodyMaxBytes) return body;
  return { truncated: true, bytes: Buffer.byteLength(text), head: Buffer.from(text).subarray(0, tenant.bodyMaxBytes).toString("utf8") };
}
