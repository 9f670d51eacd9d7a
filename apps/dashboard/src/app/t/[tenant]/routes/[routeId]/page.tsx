import type { Metadata } from "next";
import { RouteDetailPageClient } from "./page-client.tsx";

export const metadata: Metadata = { title: "Route" };

export default async function RouteDetailPage({ params }: { params: Promise<{ routeId: string }> }) {
  const { routeId } = await params;
  return <RouteDetailPageClient routeId={routeId} />;
}
