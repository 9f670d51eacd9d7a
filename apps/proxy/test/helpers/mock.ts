// The loopback mock provider (apps/mock-provider) for proxy tests, plus the prompt markers tests use.
import { startMockProvider } from "@gateway/mock-provider";

export interface Mock {
  url: string;
  close(): Promise<void>;
  /** A prompt marker that makes the mock wait `ms` before answering. */
  delayMarker(ms: number): string;
  /** Bodies of the chat calls the mock has received, oldest first. */
  chatBodies(): unknown[];
  /** Chat calls the mock has received so far. */
  chatCalls(): number;
  /** Resolves once the mock has received `n` chat calls in all. */
  waitForChatCalls(n: number): Promise<void>;
}

export async function startMock(): Promise<Mock> {
  const m = await startMockProvider({ port: 0 });
  return {
    url: m.url,
    close: () => m.close(),
    delayMarker: (ms) => (ms > 0 ? `[[mock:delay_ms=${ms}]]` : ""),
    chatBodies: () => m.requests().filter((r) => r.operation === "chat").map((r) => r.body),
    chatCalls: () => m.requests().filter((r) => r.operation === "chat").length,
    async waitForChatCalls(n) {
      while (m.requests().filter((r) => r.operation === "chat").length < n) await new Promise((r) => setTimeout(r, 10));
    },
  };
}
