// api_keys.last_used_at, written lazily: the hot path only marks a key as used in memory, and a timer
// writes the marks in one statement every few seconds. Raw SQL leaves updated_at alone, so these writes do
// not look like configuration changes to the snapshot poller.
import type { PrismaClient } from "@gateway/db";

export class LastUsedTracker {
  private pending = new Map<string, Date>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly prisma: PrismaClient,
    intervalMs: number,
    private readonly onError: (err: unknown) => void,
  ) {
    this.timer = setInterval(() => void this.flush(), intervalMs);
    this.timer.unref();
  }

  mark(apiKeyId: string, at: Date): void {
    this.pending.set(apiKeyId, at);
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    const ids = [...batch.keys()];
    const times = ids.map((id) => batch.get(id)!.toISOString());
    try {
      await this.prisma.$executeRawUnsafe(
        `UPDATE api_keys AS k SET last_used_at = GREATEST(coalesce(k.last_used_at, u.at), u.at)
         FROM unnest($1::text[], $2::timestamptz[]) AS u(id, at) WHERE k.id = u.id`,
        ids,
        times,
      );
    } catch (err) {
      // Put the marks back (newer marks win) so the next tick retries them.
      for (const [id, at] of batch) if (!this.pending.has(id)) this.pending.set(id, at);
      this.onError(err);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
