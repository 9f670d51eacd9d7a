import { alertsRouter } from "./routers/alerts.ts";
import { appsRouter } from "./routers/apps.ts";
import { auditRouter } from "./routers/audit.ts";
import { budgetsRouter } from "./routers/budgets.ts";
import { costsRouter } from "./routers/costs.ts";
import { keysRouter } from "./routers/keys.ts";
import { logsRouter } from "./routers/logs.ts";
import { membersRouter } from "./routers/members.ts";
import { modelsRouter } from "./routers/models.ts";
import { providersRouter } from "./routers/providers.ts";
import { reviewsRouter } from "./routers/reviews.ts";
import { routesRouter } from "./routers/routes.ts";
import { simulatorRouter } from "./routers/simulator.ts";
import { tenantRouter } from "./routers/tenant.ts";
import { createCallerFactory, createTRPCRouter } from "./trpc.ts";

export const appRouter = createTRPCRouter({
  tenant: tenantRouter,
  members: membersRouter,
  apps: appsRouter,
  keys: keysRouter,
  providers: providersRouter,
  models: modelsRouter,
  routes: routesRouter,
  budgets: budgetsRouter,
  logs: logsRouter,
  costs: costsRouter,
  reviews: reviewsRouter,
  audit: auditRouter,
  alerts: alertsRouter,
  simulator: simulatorRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
