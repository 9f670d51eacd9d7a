import type { Metadata } from "next";
import { LogsPageClient } from "./page-client.tsx";

export const metadata: Metadata = { title: "Requests" };

export default function LogsPage() {
  return <LogsPageClient />;
}
