/**
 * A small REST resource with validation: bodies and params are checked by Elysia's `t`
 * schemas, so a bad request gets a 422 before the handler runs.
 */
import { Elysia, t } from "elysia";
import { onDispose } from "hmr-run";
import { db } from "../db.ts";

interface Todo {
  id: number;
  title: string;
  done: number;
}

const list = db.query<Todo, []>("select * from todos order by id");
const byId = db.query<Todo, [number]>("select * from todos where id = ?");
const insert = db.query<Todo, [string]>("insert into todos (title) values (?) returning *");
const finish = db.query<Todo, [number]>("update todos set done = 1 where id = ? returning *");

// A periodic job started at the top level: without onDispose, every edit of this file would
// leave one more timer running.
const sweep = setInterval(() => db.run("delete from todos where done = 1 and id < (select max(id) - 100 from todos)"), 60_000);
onDispose(() => clearInterval(sweep));

export const todos = new Elysia({ prefix: "/todos" })
  .get("/", () => list.all())
  .get("/:id", ({ params, status }) => byId.get(params.id) ?? status(404, "no such todo"), {
    params: t.Object({ id: t.Numeric() }),
  })
  .post("/", ({ body, status }) => status(201, insert.get(body.title.trim())!), {
    body: t.Object({ title: t.String({ minLength: 1, maxLength: 200 }) }),
  })
  .post("/:id/done", ({ params, status }) => finish.get(params.id) ?? status(404, "no such todo"), {
    params: t.Object({ id: t.Numeric() }),
  });
