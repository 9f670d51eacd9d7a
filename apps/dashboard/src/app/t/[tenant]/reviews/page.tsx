import type { Metadata } from "next";
import { ReviewsPageClient } from "./page-client.tsx";

export const metadata: Metadata = { title: "Review queue" };

export default function Page() {
  return <ReviewsPageClient />;
}
