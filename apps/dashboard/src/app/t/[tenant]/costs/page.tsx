import type { Metadata } from "next";
import { CostsPageClient } from "./page-client.tsx";

export const metadata: Metadata = { title: "Costs" };

export default function CostsPage() {
  return <CostsPageClient />;
}
