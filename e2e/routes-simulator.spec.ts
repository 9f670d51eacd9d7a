// A product owner changes a route's risk level; the policy simulator follows it.
import { expect, test, type Page } from "@playwright/test";
import { authFile, screenshot, stack } from "./helpers.ts";

test.use({ storageState: authFile("product") });

async function simulate(page: Page, slug: string) {
  await page.goto(`/t/${slug}/simulator`);
  // The seeded traffic key may call every route (the others are scoped, and the simulator says so).
  const option = page.getByLabel("API key").locator("option", { hasText: "e2e-traffic" }).first();
  await page.getByLabel("API key").selectOption((await option.getAttribute("value")) ?? "");
  await page
    .getByLabel("Request body (OpenAI chat format)")
    .fill(
      JSON.stringify({
        model: "ticket-triage",
        messages: [{ role: "user", content: "My invoice is wrong" }],
        max_tokens: 200,
      }),
    );
  await page.getByRole("button", { name: "Simulate" }).click();
  await expect(page.getByTestId("sim-result")).toBeVisible();
}

test("changing a route's risk level changes what the simulator decides", async ({ page }) => {
  const s = stack();
  await simulate(page, s.tenantSlug);
  await expect(page.getByTestId("sim-risk")).toHaveText("risk: medium");
  await expect(page.getByTestId("sim-targets")).toContainText("primary: gpt-4o-mini");
  await expect(page.getByTestId("sim-targets")).toContainText("fallback 1: claude-3-5-haiku");

  await page.goto(`/t/${s.tenantSlug}/routes`);
  await page.getByRole("link", { name: "ticket-triage" }).click();
  await expect(page.getByTestId("route-editor")).toBeVisible();
  await screenshot(page, "route-editor");
  await page.getByText("high", { exact: true }).first().click();
  // Reorder: the fallback becomes the primary.
  await page.getByRole("button", { name: "Move target 2 up" }).click();
  await page.getByLabel("Change note").fill("e2e: stop instead of falling back");
  await page.getByRole("button", { name: "Save new version" }).click();
  await expect(page.getByTestId("route-saved")).toContainText("Saved as version");

  await simulate(page, s.tenantSlug);
  await expect(page.getByTestId("sim-risk")).toHaveText("risk: high");
  await expect(page.getByTestId("sim-targets")).toContainText("primary: claude-3-5-haiku");
  await screenshot(page, "simulator");

  // History: diff against the previous version and restore it (as a new version).
  await page.goto(`/t/${s.tenantSlug}/routes`);
  await page.getByRole("link", { name: "ticket-triage" }).click();
  const history = page.getByTestId("route-history");
  await history.getByRole("button", { name: "Diff" }).first().click();
  await expect(page.getByTestId("spec-diff")).toContainText('"riskLevel": "high"');
  await screenshot(page, "route-diff");
  await page.getByRole("button", { name: /Restore v\d+ as a new version/ }).click();
  await expect(page.getByTestId("route-saved")).toBeVisible();
  await simulate(page, s.tenantSlug);
  await expect(page.getByTestId("sim-risk")).toHaveText("risk: medium");
});
