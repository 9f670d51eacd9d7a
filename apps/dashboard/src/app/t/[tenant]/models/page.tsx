import type { Metadata } from "next";
import { ModelsPageClient } from "./page-client.tsx";

export const metadata: Metadata = { title: "Models & prices" };

export default function Page() {
  return <ModelsPageClient />;
}
