import type { Metadata } from "next";
import { AppsPageClient } from "./page-client.tsx";

export const metadata: Metadata = { title: "Apps & environments" };

export default function Page() {
  return <AppsPageClient />;
}
