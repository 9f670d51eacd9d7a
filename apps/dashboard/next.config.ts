import path from "node:path";
import type { NextConfig } from "next";

const config: NextConfig = {
  // Workspace packages are consumed from TypeScript source (with .ts import extensions).
  transpilePackages: ["@gateway/db", "@gateway/policy"],
  // The pg driver and its Prisma adapter load native-ish optional modules at runtime; bundling them breaks.
  serverExternalPackages: ["pg", "@prisma/adapter-pg", "ioredis"],
  turbopack: { root: path.join(import.meta.dirname, "../..") },
  outputFileTracingRoot: path.join(import.meta.dirname, "../.."),
  poweredByHeader: false,
  typedRoutes: false,
};

export default config;
