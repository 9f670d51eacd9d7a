import "server-only";
import { redirect } from "next/navigation";
import { auth } from "./config.ts";

export { auth, signIn, signOut, handlers } from "./config.ts";

/** The signed-in user's id, or a redirect to the sign-in page. */
export async function requireUserId(): Promise<string> {
  const session = await auth();
  const id = session?.user?.id;
  if (!id) redirect("/sign-in");
  return id;
}
