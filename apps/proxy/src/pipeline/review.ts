// High-risk stops open a review item for a person. This is the one synchronous write of the pipeline, and
// it happens only on that failure path: the client's error must carry the item's id.
import type { PrismaClient } from "@gateway/db";
import { describeAttempts, type AttemptOutcome } from "@gateway/policy/risk";
import type { RouteConfig } from "../config/snapshot.ts";
import type { RequestRecord } from "./record.ts";

export async function openReviewItem(
  prisma: PrismaClient,
  record: RequestRecord,
  route: RouteConfig,
  errorCode: string,
  history: AttemptOutcome[],
): Promise<string> {
  const item = await prisma.reviewItem.create({
    data: {
      tenantId: record.key.tenant.id,
      requestId: record.id,
      routeName: route.name,
      routeVersion: route.version,
      errorCode,
      reason: `High-risk route ${route.name} stopped instead of falling back. Attempts: ${describeAttempts(history) || "none"}`,
    },
    select: { id: true },
  });
  return item.id;
}
