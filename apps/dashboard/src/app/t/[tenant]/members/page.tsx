import type { Metadata } from "next";
import { MembersPageClient } from "./page-client.tsx";

export const metadata: Metadata = { title: "Members" };

export default function Page() {
  return <MembersPageClient />;
}
