// What each persona sees and may do, checked in the browser and against the API directly.
import { expect, test } from "@playwright/test";
import { authFile, screenshot, stack } from "./helpers.ts";

test.describe("finance", () => {
  test.use({ storageState: authFile("finance") });

  test("sees cost charts and exports, but no key management", async ({ page }) => {
    const s = stack();
    await page.goto(`/t/${s.tenantSlug}/costs`);
    await expect(page.getByTestId("spend-chart")).toBeVisible();
    await expect(page.getByTestId("cost-per-success-chart")).toBeVisible();
    await expect(page.getByTestId("burn-down-chart").first()).toBeVisible();
    await expect(page.getByTestId("export-csv")).toBeVisible();
    const download = page.waitForEvent("download");
    await page.getByTestId("export-csv").click();
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/^costs-e2e-7d\.csv$/);
    await screenshot(page, "finance-costs");

    const nav = page.getByRole("navigation", { name: "Main" }).first();
    await expect(nav.getByRole("link", { name: "Costs" })).toBeVisible();
    await expect(nav.getByRole("link", { name: "API keys" })).toHaveCount(0);
    await page.goto(`/t/${s.tenantSlug}/keys`);
    await expect(page.getByTestId("no-access")).toBeVisible();

    const res = await page.request.get(
      `/api/trpc/keys.list?input=${encodeURIComponent(JSON.stringify({ json: { tenantId: s.tenantId } }))}`,
    );
    expect(res.status()).toBe(403);
  });
});

test.describe("viewer", () => {
  test.use({ storageState: authFile("viewer") });

  test("reads but cannot change anything", async ({ page }) => {
    const s = stack();
    await page.goto(`/t/${s.tenantSlug}/routes`);
    await expect(page.getByRole("button", { name: "New route" })).toHaveCount(0);
    await page.getByRole("link", { name: "support-summary", exact: true }).click();
    await expect(page.getByTestId("route-editor")).toBeVisible();
    await expect(page.getByRole("button", { name: "Save new version" })).toHaveCount(0);
    await expect(page.getByText("Read-only for your role.")).toBeVisible();

    await page.goto(`/t/${s.tenantSlug}/keys`);
    await expect(page.getByRole("heading", { name: "API keys" })).toBeVisible();
    await expect(page.getByRole("button", { name: "New key" })).toHaveCount(0);
    await expect(page.getByRole("button", { name: "Revoke" })).toHaveCount(0);
    await screenshot(page, "viewer-keys");

    // The API refuses regardless of what the UI shows.
    const route = await page.request.get(
      `/api/trpc/routes.list?input=${encodeURIComponent(JSON.stringify({ json: { tenantId: s.tenantId } }))}`,
    );
    const routes = (await route.json()) as {
      result: { data: { json: Array<{ id: string; currentVersion: number }> } };
    };
    const first = routes.result.data.json[0]!;
    const attempts = [
      ["routes.restore", { tenantId: s.tenantId, routeId: first.id, version: 1 }],
      ["keys.create", { tenantId: s.tenantId, name: "nope", appId: "x", environmentId: "y" }],
      [
        "tenant.update",
        {
          tenantId: s.tenantId,
          name: "Hacked",
          timeZone: "UTC",
          logBodies: false,
          retentionDays: 1,
          bodyRetentionDays: 1,
          budgetFailMode: "open",
          rateLimitFailMode: "open",
        },
      ],
    ] as const;
    for (const [proc, input] of attempts) {
      const res = await page.request.post(`/api/trpc/${proc}`, { data: { json: input } });
      expect(res.status(), proc).toBe(403);
    }
  });
});
