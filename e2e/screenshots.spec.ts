// Visits every main page as the owner at 1280 px and a few on a phone, asserting each renders its heading,
// and saves screenshots to e2e/artifacts/screenshots/.
import { expect, test } from "@playwright/test";
import { authFile, screenshot, stack } from "./helpers.ts";

test.use({ storageState: authFile("owner") });

const PAGES: Array<[string, string]> = [
  ["", "E2E Corp"],
  ["/costs", "Costs"],
  ["/reliability", "Reliability"],
  ["/logs", "Requests"],
  ["/simulator", "Policy simulator"],
  ["/apps", "Apps & environments"],
  ["/keys", "API keys"],
  ["/routes", "Routes"],
  ["/budgets", "Budgets & rate limits"],
  ["/providers", "Provider accounts"],
  ["/models", "Models & prices"],
  ["/reviews", "Review queue"],
  ["/alerts", "Alerts"],
  ["/audit", "Audit log"],
  ["/members", "Members"],
  ["/settings", "Settings"],
];

test("every main page renders at 1280 px", async ({ page }) => {
  const s = stack();
  for (const [p, heading] of PAGES) {
    await page.goto(`/t/${s.tenantSlug}${p}`);
    await expect(page.getByRole("heading", { level: 1, name: heading })).toBeVisible();
    // No error notes (Next's own route announcer also has role=alert, and is always there).
    await expect(page.locator('[role="alert"]:not(#__next-route-announcer__)')).toHaveCount(0);
    await expect(page.locator('[aria-busy="true"]')).toHaveCount(0);
    await screenshot(page, `page${p.replaceAll("/", "-") || "-overview"}`);
  }
  await expect(page.getByTestId("current-role")).toHaveText("owner");
  await page.goto(`/t/${s.tenantSlug}/alerts`);
  await expect(page.getByText("#1 failed (503): upstream unavailable · #2 delivered (200)").first()).toBeVisible();
});

test("the review queue assigns and resolves with a note", async ({ page }) => {
  const s = stack();
  await page.goto(`/t/${s.tenantSlug}/reviews`);
  await page.getByLabel("Assignee").first().selectOption({ label: "Owner E2E" });
  await expect(page.getByText("assigned", { exact: true }).first()).toBeVisible();
  await screenshot(page, "reviews");
  await page.getByRole("button", { name: "Resolve" }).first().click();
  await page.getByLabel("What was decided").fill("Refund granted by hand.");
  await page.getByRole("dialog").getByRole("button", { name: "Resolve" }).click();
  await page.getByLabel("Status").selectOption("resolved");
  await expect(page.getByText("Resolved: Refund granted by hand.").first()).toBeVisible();
});

test("the log explorer filters and opens a request with its attempts", async ({ page }) => {
  const s = stack();
  // stack.ts sends real traffic through the proxy before the suite starts.
  await page.goto(`/t/${s.tenantSlug}/logs`);
  await page.getByLabel("Route").selectOption("ticket-triage");
  const rows = page.getByTestId("logs-table").locator("tr");
  await expect(rows.first()).toContainText("ticket-triage");
  await expect(page.getByTestId("logs-table")).not.toContainText("support-summary");
  await rows.first().click();
  await expect(page.getByTestId("log-detail")).toContainText("#1 gpt-4o-mini");
  await screenshot(page, "log-detail");
});

test.describe("on a phone", () => {
  test.use({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });

  test("the menu opens and pages fit the screen", async ({ page }) => {
    const s = stack();
    for (const p of ["", "/keys", "/costs", "/routes"]) {
      await page.goto(`/t/${s.tenantSlug}${p}`);
      await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
      const overflow = await page.evaluate(
        () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
      );
      expect(overflow, `horizontal overflow on ${p || "/"}`).toBeLessThanOrEqual(1);
      await screenshot(page, `phone${p.replaceAll("/", "-") || "-overview"}`);
    }
    await page.getByRole("button", { name: "Menu" }).click();
    await expect(page.getByRole("link", { name: "API keys" }).last()).toBeVisible();
  });
});
