import type { Metadata } from "next";
import { OverviewPageClient } from "./page-client.tsx";

export const metadata: Metadata = { title: "Overview" };

export default function OverviewPage() {
  return <OverviewPageClient />;
}
