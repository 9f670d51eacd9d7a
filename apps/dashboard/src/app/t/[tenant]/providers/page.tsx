import type { Metadata } from "next";
import { ProvidersPageClient } from "./page-client.tsx";

export const metadata: Metadata = { title: "Provider accounts" };

export default function Page() {
  return <ProvidersPageClient />;
}
