import type { Metadata } from "next";
import { ReliabilityPageClient } from "./page-client.tsx";

export const metadata: Metadata = { title: "Reliability" };

export default function ReliabilityPage() {
  return <ReliabilityPageClient />;
}
