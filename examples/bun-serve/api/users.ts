/**
 * Route handlers for /api/users. The list itself lives in store.ts, which does not import
 * this file: editing the handlers below re-runs this file and main.ts, and the users
 * created so far stay.
 */
import type { BunRequest } from "bun";
import { store, type User } from "./store.ts";

export const users = {
  list: () => Response.json(store.all()),
  get: (req: BunRequest<"/api/users/:id">) => {
    const user = store.get(Number(req.params.id));
    return user ? Response.json(user) : Response.json({ error: "no such user" }, { status: 404 });
  },
  create: async (req: Request) => {
    const body = (await req.json().catch(() => null)) as Partial<User> | null;
    if (typeof body?.name !== "string" || !body.name.trim()) {
      return Response.json({ error: "name (a non-empty string) is required" }, { status: 400 });
    }
    return Response.json(store.add(body.name.trim()), { status: 201 });
  },
};
