import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Page } from "@playwright/test";

export const here = path.dirname(fileURLToPath(import.meta.url));

export interface Stack {
  tenantSlug: string;
  tenantId: string;
  proxyUrl: string;
  users: Record<"owner" | "admin" | "platform" | "product" | "finance" | "viewer", string>;
  password: string;
}

export function stack(): Stack {
  return JSON.parse(readFileSync(process.env.STACK_FILE!, "utf8")) as Stack;
}

export const authFile = (role: string) => path.join(here, "artifacts", ".auth", `${role}.json`);

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(here, "artifacts", "screenshots", `${name}.png`), fullPage: true });
}

export async function signIn(page: Page, email: string, password: string): Promise<void> {
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}
