// Members and invitations: an owner invites someone with a role, the invitation link (shown once) creates
// their account, and they land in the tenant with exactly that role. The tenant switcher moves between
// tenants and the role follows.
import { expect, test } from "@playwright/test";
import { authFile, screenshot, stack } from "./helpers.ts";

test.use({ storageState: authFile("owner") });

test("an invitation creates an account with the invited role", async ({ page, browser }) => {
  const s = stack();
  const email = `invitee-${Date.now()}@e2e.test`;
  await page.goto(`/t/${s.tenantSlug}/members`);
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Role", { exact: true }).selectOption("finance");
  await page.getByRole("button", { name: "Create invitation" }).click();
  const link = (await page.getByTestId("invite-link").textContent())?.trim() ?? "";
  expect(link).toContain("/sign-up?invite=");
  await screenshot(page, "members-invite");

  const fresh = await browser.newContext({ storageState: { cookies: [], origins: [] } });
  const invitee = await fresh.newPage();
  await invitee.goto(link);
  await expect(invitee.getByRole("heading", { name: "Join your team" })).toBeVisible();
  await invitee.getByLabel("Your name").fill("Ivy Invitee");
  await invitee.getByLabel("Work email").fill(email);
  await invitee.getByLabel("Password").fill("a-long-password-1");
  await invitee.getByRole("button", { name: "Join" }).click();
  await expect(invitee).toHaveURL(new RegExp(`/t/${s.tenantSlug}$`));
  await expect(invitee.getByTestId("current-role")).toHaveText("finance");
  await fresh.close();

  await page.reload();
  await expect(page.getByText(email)).toBeVisible();
});

test("the tenant switcher moves to another tenant with the role held there", async ({ page }) => {
  const s = stack();
  await page.goto(`/t/${s.tenantSlug}`);
  await expect(page.getByTestId("current-role")).toHaveText("owner");
  await page.getByTestId("tenant-switcher").first().selectOption("e2e-other");
  await expect(page).toHaveURL(/\/t\/e2e-other$/);
  await expect(page.getByTestId("current-role")).toHaveText("viewer");
  // A viewer seat in the other tenant: no audit log, no member management.
  const nav = page.getByRole("navigation", { name: "Main" }).first();
  await expect(nav.getByRole("link", { name: "Audit log" })).toHaveCount(0);
});
