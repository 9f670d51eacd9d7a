// Liveness and readiness for the demo launcher and docker-compose: 200 when the database answers.
import { db } from "~/server/db.ts";

export const dynamic = "force-dynamic";

export async function GET(): Promise<Response> {
  try {
    await db.$queryRaw`SELECT 1`;
    return Response.json({ status: "ok" });
  } catch (err) {
    return Response.json({ status: "unavailable", reason: err instanceof Error ? err.name : "error" }, { status: 503 });
  }
}
