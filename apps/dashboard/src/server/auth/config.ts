// next-auth (Auth.js v5): email + password out of the box, an OIDC provider when OIDC_* are set.
// Sessions are JWTs that carry the user id; tenant roles are looked up per request, never cached in the token.
import NextAuth, { type NextAuthConfig } from "next-auth";
import Credentials from "next-auth/providers/credentials";
import { z } from "zod";
import { env, oidcEnabled } from "../../env.ts";
import { db } from "../db.ts";
import { verifyPassword } from "./password.ts";

export const credentialsSchema = z.object({
  email: z.string().trim().toLowerCase().email("enter a valid email"),
  password: z.string().min(1, "enter your password"),
});

const providers: NextAuthConfig["providers"] = [
  Credentials({
    credentials: { email: { label: "Email" }, password: { label: "Password", type: "password" } },
    async authorize(raw) {
      const parsed = credentialsSchema.safeParse(raw);
      if (!parsed.success) return null;
      const user = await db.user.findUnique({ where: { email: parsed.data.email } });
      if (!user?.passwordHash) return null;
      if (!(await verifyPassword(parsed.data.password, user.passwordHash))) return null;
      return { id: user.id, email: user.email, name: user.name };
    },
  }),
];

if (oidcEnabled) {
  providers.push({
    id: "oidc",
    name: env.OIDC_NAME,
    type: "oidc",
    issuer: env.OIDC_ISSUER,
    clientId: env.OIDC_CLIENT_ID,
    clientSecret: env.OIDC_CLIENT_SECRET,
  });
}

export const { handlers, auth, signIn, signOut } = NextAuth({
  secret: env.AUTH_SECRET,
  trustHost: true,
  session: { strategy: "jwt" },
  pages: { signIn: "/sign-in" },
  providers,
  callbacks: {
    async jwt({ token, user, account }) {
      if (user && account?.provider === "oidc") {
        // OIDC users are matched to a dashboard user by email; they join tenants by invitation like anyone.
        const email = (user.email ?? "").toLowerCase();
        if (!email) throw new Error("the identity provider returned no email");
        const row = await db.user.upsert({
          where: { email },
          create: { email, name: user.name ?? null, emailVerified: new Date() },
          update: {},
        });
        token.uid = row.id;
      } else if (user?.id) {
        token.uid = user.id;
      }
      return token;
    },
    session({ session, token }) {
      if (typeof token.uid === "string") session.user.id = token.uid;
      return session;
    },
  },
});

export const providerList = { oidc: oidcEnabled ? { id: "oidc", name: env.OIDC_NAME } : null };
