// ProviderKind (prisma enum) → adapter. Adding a provider is one folder and one line here.
import { anthropicAdapter } from "./anthropic/adapter.ts";
import { geminiAdapter } from "./gemini/adapter.ts";
import { openAIAdapter } from "./openai/adapter.ts";
import { openAICompatibleAdapter } from "./openai-compatible/adapter.ts";
import type { ProviderAdapter, ProviderKind } from "./types.ts";

const adapters: Record<ProviderKind, ProviderAdapter> = {
  openai: openAIAdapter,
  openai_compatible: openAICompatibleAdapter,
  anthropic: anthropicAdapter,
  gemini: geminiAdapter,
};

export const providerKinds = Object.keys(adapters) as ProviderKind[];

export function adapterFor(kind: ProviderKind): ProviderAdapter {
  return adapters[kind];
}
