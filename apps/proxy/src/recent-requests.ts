// Who made a recent request, for /v1/feedback: the log row may still sit in the writer's queue, so the
// proxy remembers the last few thousand request ids itself and only asks Postgres about older ones.
export interface RecentRequest {
  tenantId: string;
  apiKeyId: string;
  createdAt: Date;
}

export class RecentRequests {
  private readonly map = new Map<string, RecentRequest>();
  constructor(private readonly capacity = 10_000) {}

  remember(requestId: string, r: RecentRequest): void {
    this.map.set(requestId, r);
    // Map keeps insertion order, so the first key is the oldest.
    if (this.map.size > this.capacity) {
      const oldest = this.map.keys().next().value;
      if (oldest !== undefined) this.map.delete(oldest);
    }
  }

  get(requestId: string): RecentRequest | undefined {
    return this.map.get(requestId);
  }
}
