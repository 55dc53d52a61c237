// Which server the command line's --host/--port/--unix are for, with plain objects.
import { describe, expect, test } from "bun:test";
import { Placement } from "../src/server/placement.ts";
import type { ServeDefaults } from "../src/server/host.ts";

const cli = (explicit: Partial<ServeDefaults["explicit"]> = {}, extra: Partial<ServeDefaults> = {}): ServeDefaults => ({
  hostname: "127.0.0.1",
  port: 3030,
  ...extra,
  explicit: { hostname: false, port: false, unix: false, ...explicit },
});

describe("placement", () => {
  test("with --port, only the first server of an app without an export gets it; the others keep theirs", () => {
    const lines: string[] = [];
    const p = new Placement(cli({ port: true }), (l) => lines.push(l));
    expect(p.node({ port: 3000 }, "main.ts")).toEqual({ port: 3030, hostname: "127.0.0.1" });
    expect(p.bunServe({ port: 3001 }, "ws.ts")).toEqual({ port: 3001, hostname: "127.0.0.1" });
    expect(p.node({ port: 3002 }, "admin.ts")).toEqual({ port: 3002, hostname: "127.0.0.1" });
    // The same server again (its module ran again): still the primary one, said only once.
    expect(p.node({ port: 3000 }, "main.ts")).toEqual({ port: 3030, hostname: "127.0.0.1" });
    expect(lines).toEqual(["main.ts asks for port 3000; serving on 3030 as given on the command line"]);
    // Closed and listening again from a callback (another key): the same address asked, the same server.
    expect(p.node({ port: 3000 }, "main.ts#2")).toEqual({ port: 3030, hostname: "127.0.0.1" });
  });

  test("when the entry exports the app, the command line's address is the export's alone", () => {
    const p = new Placement(cli({ port: true }), () => {});
    p.entryExports = true;
    expect(p.node({ port: 3001 }, "main.ts")).toEqual({ port: 3001, hostname: "127.0.0.1" });
    expect(p.bunServe({ fetch: 1 }, "entry")).toEqual({ fetch: 1, port: 3030, hostname: "127.0.0.1" });
  });

  test("--unix replaces the primary server's port and host; node servers without a port keep 'any port'", () => {
    const p = new Placement(cli({ unix: true }, { unix: "/tmp/app.sock" }), () => {});
    expect(p.node({ port: 3000, hostname: "0.0.0.0" }, "main.ts")).toEqual({ unix: "/tmp/app.sock" });
    expect(p.node({}, "side.ts")).toEqual({ hostname: "127.0.0.1" });
  });

  test("without flags the app's own address stands; missing parts come from the defaults", () => {
    const p = new Placement(cli(), () => {});
    expect(p.node({ port: 3000, hostname: "::1" }, "main.ts")).toEqual({ port: 3000, hostname: "::1" });
    expect(p.bunServe({}, "other.ts")).toEqual({ port: 3030, hostname: "127.0.0.1" });
  });
});

test("an app process restarted in the same run stays quiet about what an earlier one said; a new ask is still said", () => {
  const lines: string[] = [];
  const first = new Placement(cli({ port: true }), () => {});
  const told: string[] = [];
  first.onSaid = (l) => told.push(l);
  first.bunServe({ port: 3000 }, "entry");
  expect(told).toEqual(["entry asks for port 3000"]);
  // After a restart under --port 0 the port served is the one first got: the ask alone counts.
  const next = new Placement(cli({ port: true }, { port: 41234 }), (l) => lines.push(l));
  for (const asks of told) next.said.add(asks);
  next.bunServe({ port: 3000 }, "entry");
  expect(lines).toEqual([]);
  next.bunServe({ port: 3001 }, "entry");
  expect(lines).toEqual(["entry asks for port 3001; serving on 41234 as given on the command line"]);
});
