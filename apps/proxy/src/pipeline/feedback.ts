// POST /v1/feedback: what the user did with a response (accepted, edited, regenerated, abandoned). Only
// the key that made the request may rate it, so the request's owner is looked up first: in the proxy's
// memory for recent requests (the log row may still be queued), else in the request log.
import type { PrismaClient } from "@gateway/db";
import { GatewayError, invalidRequest } from "@gateway/policy/errors";
import { z } from "zod";
import type { KeyConfig } from "../config/snapshot.ts";
import type { RecentRequest, RecentRequests } from "../recent-requests.ts";

export const feedbackBodySchema = z
  .object({
    // The proxy's own ids (x-request-id): anything else cannot name a request, and must not reach Postgres.
    request_id: z.string().regex(/^req_[0-9a-f]{32}$/, "expected a request id as returned in x-request-id (req_ followed by 32 hex digits)"),
    action: z.enum(["accepted", "edited", "regenerated", "abandoned"]),
    score: z.number().finite().min(-1000).max(1000).optional(),
  })
  .strict();

export function parseFeedback(body: unknown): z.infer<typeof feedbackBodySchema> {
  const r = feedbackBodySchema.safeParse(body);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const param = issue.path.length ? issue.path.join(".") : "body";
    throw invalidRequest(param, `${param}: ${issue.message}`);
  }
  return r.data;
}

async function findRequest(prisma: PrismaClient, recent: RecentRequests, requestId: string): Promise<RecentRequest | null> {
  const mem = recent.get(requestId);
  if (mem) return mem;
  const row = await prisma.requestLog.findFirst({
    where: { id: requestId },
    select: { tenantId: true, apiKeyId: true, createdAt: true },
  });
  if (!row || !row.apiKeyId) return null;
  return { tenantId: row.tenantId, apiKeyId: row.apiKeyId, createdAt: row.createdAt };
}

export async function recordFeedback(
  prisma: PrismaClient,
  recent: RecentRequests,
  key: KeyConfig,
  body: unknown,
): Promise<{ id: string; request_id: string; action: string; score: number | null }> {
  const fb = parseFeedback(body);
  const owner = await findRequest(prisma, recent, fb.request_id);
  // A request of another key looks exactly like an unknown one: ids are not an oracle across tenants.
  if (!owner || owner.apiKeyId !== key.id) {
    throw new GatewayError("not_found", `no request ${fb.request_id} made with this key`, { param: "request_id" });
  }
  const row = await prisma.feedback.upsert({
    where: { requestId: fb.request_id },
    create: {
      tenantId: owner.tenantId,
      requestId: fb.request_id,
      apiKeyId: owner.apiKeyId,
      action: fb.action,
      score: fb.score ?? null,
      requestAt: owner.createdAt,
    },
    update: { action: fb.action, score: fb.score ?? null },
  });
  return { id: row.id, request_id: row.requestId, action: row.action, score: row.score };
}
