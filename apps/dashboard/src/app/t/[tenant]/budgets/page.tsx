import type { Metadata } from "next";
import { BudgetsPageClient } from "./page-client.tsx";

export const metadata: Metadata = { title: "Budgets & limits" };

export default function BudgetsPage() {
  return <BudgetsPageClient />;
}
