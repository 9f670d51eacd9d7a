import type { Metadata } from "next";
import { AlertsPageClient } from "./page-client.tsx";

export const metadata: Metadata = { title: "Alerts" };

export default function Page() {
  return <AlertsPageClient />;
}
