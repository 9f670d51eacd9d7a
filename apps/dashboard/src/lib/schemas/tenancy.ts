import { z } from "zod";
import { ROLES } from "@gateway/policy/scopes";

export const slugSchema = z
  .string()
  .trim()
  .toLowerCase()
  .min(2, "at least 2 characters")
  .max(48)
  .regex(/^[a-z0-9][a-z0-9-]*$/, "lowercase letters, digits and dashes");

export const signUpSchema = z.object({
  name: z.string().trim().min(1, "enter your name").max(80),
  email: z.string().trim().toLowerCase().email("enter a valid email"),
  password: z.string().min(10, "at least 10 characters").max(200),
  tenantName: z.string().trim().min(2, "at least 2 characters").max(80).optional(),
  inviteToken: z.string().min(10).optional(),
});

export const inviteSchema = z.object({
  email: z.string().trim().toLowerCase().email("enter a valid email"),
  role: z.enum(ROLES),
});

export const tenantSettingsSchema = z.object({
  name: z.string().trim().min(2).max(80),
  timeZone: z.string().min(1).max(64),
  logBodies: z.boolean(),
  retentionDays: z.number().int().min(1).max(3650),
  bodyRetentionDays: z.number().int().min(1).max(365),
  budgetFailMode: z.enum(["closed", "open"]),
  rateLimitFailMode: z.enum(["closed", "open"]),
});

export const createAppSchema = z.object({
  name: z.string().trim().min(1, "give the app a name").max(80),
  slug: slugSchema,
  environments: z.array(slugSchema).min(1).default(["development", "staging", "production"]),
});

export const createEnvironmentSchema = z.object({ appId: z.string().min(1), name: slugSchema });
