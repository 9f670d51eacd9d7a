import type { Metadata } from "next";
import { SettingsPageClient } from "./page-client.tsx";

export const metadata: Metadata = { title: "Settings" };

export default function Page() {
  return <SettingsPageClient />;
}
