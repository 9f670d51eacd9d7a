import { expect, test } from "@playwright/test";
import { screenshot, signIn, stack } from "./helpers.ts";

test("the health endpoint reports the database reachable", async ({ request }) => {
  const res = await request.get("/api/health");
  expect(res.status()).toBe(200);
  expect(await res.json()).toEqual({ status: "ok" });
});

test("the signed-out landing page links to sign-in", async ({ page }) => {
  await page.goto("/");
  await expect(page.getByRole("heading", { level: 1 })).toContainText("one endpoint you control");
  await screenshot(page, "landing");
  await page.getByRole("link", { name: "Sign in to the dashboard" }).click();
  await expect(page).toHaveURL(/\/sign-in/);
});

test("a wrong password is refused; the right one signs in; sign-out ends the session", async ({ page }) => {
  const s = stack();
  await signIn(page, s.users.owner, "not-the-password");
  await expect(page.getByRole("alert").filter({ hasText: "Wrong email or password." })).toBeVisible();
  await screenshot(page, "sign-in-error");
  await signIn(page, s.users.owner, s.password);
  await expect(page).toHaveURL(new RegExp(`/t/${s.tenantSlug}$`));
  await expect(page.getByTestId("current-role")).toHaveText("owner");
  await page.getByRole("button", { name: "Sign out" }).first().click();
  await expect(page).toHaveURL(/\/sign-in/);
  await page.goto(`/t/${s.tenantSlug}/keys`);
  await expect(page).toHaveURL(/\/sign-in/);
});

test("a tenant the user is not a member of is a 404", async ({ page }) => {
  const s = stack();
  await signIn(page, s.users.owner, s.password);
  await expect(page).toHaveURL(new RegExp(`/t/${s.tenantSlug}$`));
  const res = await page.goto("/t/e2e-closed/keys");
  expect(res?.status()).toBe(404);
});
