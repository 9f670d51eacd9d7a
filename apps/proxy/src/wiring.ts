// Adapters from the pipeline's ports (src/ports.ts) to the enforcement and resilience modules.
import type { AdmittedRequest, Enforcer } from "./enforcement/enforcer.ts";
import type { Admission, AdmissionService } from "./ports.ts";

export function enforcerAdmission(enforcer: Enforcer): AdmissionService {
  return {
    async admit(req) {
      const tenant = req.key.tenant;
      const a = await enforcer.admit({
        requestId: req.requestId,
        tenant,
        subject: {
          tenantId: tenant.id,
          appId: req.key.appId,
          apiKeyId: req.key.id,
          routeId: req.route?.id ?? null,
          modelName: req.modelName,
        },
        rateLimits: tenant.rateLimits,
        key: { rpm: req.key.rpm, tpm: req.key.tpm },
        budgets: tenant.budgets,
        estimatedTokens: req.estimatedTokens,
        reserveMicros: req.reserveMicros,
        now: new Date(req.now),
      });
      if (a.kind === "downgrade") return { headers: {}, downgradeRouteId: a.downgradeRouteId, handle: null, reservedMicros: 0n };
      return { headers: a.headers, downgradeRouteId: null, handle: a, reservedMicros: req.reserveMicros };
    },
    async reserveMore(admission: Admission, extraMicros: bigint) {
      const handle = admission.handle as AdmittedRequest | null;
      if (!handle || extraMicros <= 0n) return;
      await enforcer.reserveMore(handle, extraMicros);
      admission.reservedMicros += extraMicros;
    },
    async settle(admission: Admission, actual) {
      const handle = admission.handle as AdmittedRequest | null;
      if (!handle) return;
      await enforcer.settle(handle, { costMicros: actual.costMicros, totalTokens: actual.inputTokens + actual.outputTokens });
    },
  };
}
