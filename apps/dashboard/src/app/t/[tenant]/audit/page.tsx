import type { Metadata } from "next";
import { AuditPageClient } from "./page-client.tsx";

export const metadata: Metadata = { title: "Audit log" };

export default function Page() {
  return <AuditPageClient />;
}
