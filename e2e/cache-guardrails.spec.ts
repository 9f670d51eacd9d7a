// Caching and guardrails in the dashboard: a product owner sets guardrails on a route (a regex that could
// backtrack is refused, naming where it is), the semantic cache backend is shown, and the costs page has
// its cache savings and guardrail hits charts.
import { expect, test } from "@playwright/test";
import { authFile, screenshot, stack } from "./helpers.ts";

test.use({ storageState: authFile("product") });

test("guardrails are saved per route, hostile regexes are refused, and the backend is shown", async ({ page }) => {
  const s = stack();
  await page.goto(`/t/${s.tenantSlug}/routes`);
  await expect(page.getByTestId("semantic-backend-note")).toContainText(/pgvector \(HNSW\)|exact search fallback/);
  await page.getByRole("link", { name: "support-summary", exact: true }).click();
  await expect(page.getByTestId("route-editor")).toBeVisible();
  await expect(page.getByTestId("semantic-backend")).toContainText(/pgvector \(HNSW\)|exact search fallback/);

  const guardrails = page.getByLabel("Guardrails (JSON)");
  await guardrails.fill(
    JSON.stringify({ input: { bannedPatterns: [{ name: "evil", pattern: "(a+)+$", action: "block" }] } }),
  );
  await page.getByRole("button", { name: "Save new version" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "guardrails.input.bannedPatterns[0].pattern" })).toBeVisible();
  await expect(page.getByTestId("route-saved")).toHaveCount(0);

  await guardrails.fill(
    JSON.stringify({
      input: {
        pii: { action: "redact", kinds: ["email"] },
        bannedPatterns: [{ name: "codename", pattern: "project\\s+falcon", action: "block" }],
      },
    }),
  );
  await page.getByLabel("Change note").fill("e2e: guardrails");
  await page.getByRole("button", { name: "Save new version" }).click();
  await expect(page.getByTestId("route-saved")).toContainText("Saved as version");
  await screenshot(page, "route-guardrails");

  await page.goto(`/t/${s.tenantSlug}/routes`);
  await expect(page.getByTestId("route-row-support-summary")).toContainText("input: PII redact, 1 pattern");
});

test("the costs page shows cache savings and guardrail hits", async ({ page }) => {
  const s = stack();
  await page.goto(`/t/${s.tenantSlug}/costs`);
  await expect(page.getByRole("heading", { name: "Cache savings" })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Guardrail hits", exact: true })).toBeVisible();
  await expect(page.getByTestId("cache-guardrail-totals")).toContainText("Saved by the cache");
  await screenshot(page, "costs-cache-guardrails");
});
