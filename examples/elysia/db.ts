/**
 * The database. Opening it is slow on purpose (a connection pool handshake, migrations,
 * or a model loading its weights take seconds in real apps), so it is built once with
 * `persist` and survives every edit. Only an edit to the factory itself opens a new one.
 */
import { Database } from "bun:sqlite";
import { persist } from "hmr-run";

/** The app's one connection, shared by every route module. */
export const db = await persist(
  "db",
  async () => {
    const started = performance.now();
    await Bun.sleep(Number(process.env.DB_WARMUP_MS ?? 1500));
    const db = new Database(":memory:");
    db.run("create table todos (id integer primary key, title text not null, done integer not null default 0)");
    db.run("insert into todos (title) values ('try hmr-run'), ('edit routes/hello.ts')");
    console.log(`database ready in ${Math.round(performance.now() - started)} ms`);
    return db;
  },
  // Runs on the old connection when an edit to the factory replaces it.
  async (old) => (await old).close(),
);
