// Signs in once per persona and saves the browser state, so each spec starts signed in.
import { expect, test as setup } from "@playwright/test";
import { authFile, signIn, stack } from "./helpers.ts";

for (const role of ["owner", "product", "finance", "viewer"] as const) {
  setup(`sign in as ${role}`, async ({ page }) => {
    const s = stack();
    await signIn(page, s.users[role], s.password);
    await expect(page).toHaveURL(new RegExp(`/t/${s.tenantSlug}`));
    await expect(page.getByTestId("current-role")).toHaveText(role);
    await page.context().storageState({ path: authFile(role) });
  });
}
