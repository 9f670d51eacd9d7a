// Create a key in the dashboard, copy the secret, and watch the proxy accept it — then revoke it and watch
// the proxy refuse it.
import { expect, test } from "@playwright/test";
import { authFile, screenshot, stack } from "./helpers.ts";

test.use({ storageState: authFile("owner") });

test("a key created in the dashboard works at the proxy until it is revoked", async ({ page, request }) => {
  const s = stack();
  const name = `e2e key ${Date.now()}`;
  await page.goto(`/t/${s.tenantSlug}/keys`);
  await expect(page.getByRole("heading", { name: "API keys" })).toBeVisible();
  await page.getByRole("button", { name: "New key" }).click();
  const dialog = page.getByRole("dialog", { name: "New API key" });
  // The form validates with the server's schema before sending anything.
  await dialog.getByRole("button", { name: "Create key" }).click();
  await expect(dialog.getByText("give the key a name")).toBeVisible();
  await dialog.getByLabel("Name").fill(name);
  await dialog.getByLabel("App").selectOption({ label: "Support Bot" });
  await dialog.getByLabel("Environment").selectOption({ label: "production" });
  await dialog.getByLabel("Requests per minute").fill("120");
  await dialog.getByLabel("Budget (USD)").fill("5");
  await screenshot(page, "keys-create");
  await dialog.getByRole("button", { name: "Create key" }).click();

  const secret = (await page.getByTestId("new-key-secret").textContent())?.trim() ?? "";
  expect(secret).toMatch(/^gw_[A-Za-z0-9_-]{20,}$/);
  await expect(page.getByRole("button", { name: "Copy" })).toBeVisible();
  await screenshot(page, "keys-secret-once");
  await page.getByRole("button", { name: "I've copied it" }).click();
  const row = page.getByTestId(`key-row-${secret.slice(0, 11)}`);
  await expect(row).toContainText(name);
  // The list shows the prefix only; the secret is nowhere on the page any more.
  await expect(page.locator("body")).not.toContainText(secret);

  const call = () =>
    request.post(`${s.proxyUrl}/v1/chat/completions`, {
      headers: { authorization: `Bearer ${secret}` },
      data: { model: "support-summary", messages: [{ role: "user", content: "Summarise: the printer is on fire." }] },
      failOnStatusCode: false,
    });
  // The proxy learns about the key through the config-change message (or its poll).
  await expect.poll(async () => (await call()).status(), { timeout: 15_000 }).toBe(200);
  const ok = await call();
  const body = (await ok.json()) as { choices: Array<{ message: { content: string } }> };
  expect(body.choices[0]?.message.content.length).toBeGreaterThan(0);
  expect(ok.headers()["x-gateway-route"]).toBe("support-summary");

  // The proxy batches last-use updates; the list shows the moment once it lands.
  await expect(async () => {
    await page.reload();
    await expect(row.getByTestId("last-used")).not.toHaveText("never", { timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
  await screenshot(page, "keys-list");

  page.once("dialog", (d) => d.accept());
  await row.getByRole("button", { name: "Revoke" }).click();
  await expect(row).toHaveCount(0); // the default filter shows active keys only
  await expect.poll(async () => (await call()).status(), { timeout: 15_000 }).toBe(401);
});
