import type { Metadata } from "next";
import { SimulatorPageClient } from "./page-client.tsx";

export const metadata: Metadata = { title: "Policy simulator" };

export default function SimulatorPage() {
  return <SimulatorPageClient />;
}
