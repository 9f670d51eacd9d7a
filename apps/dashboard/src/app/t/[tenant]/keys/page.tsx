import type { Metadata } from "next";
import { KeysPageClient } from "./page-client.tsx";

export const metadata: Metadata = { title: "API keys" };

export default function KeysPage() {
  return <KeysPageClient />;
}
