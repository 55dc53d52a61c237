/**
 * The decision core driving an app in this same process (hmr-run/testing): the same
 * decisions as under the CLI, minus what needs a second process (restarts, pings that can
 * go unanswered). Each command is carried out on a later microtask, so the core never
 * hears of a result while it is still deciding.
 */
import type { App } from "../app.ts";
import { Driver } from "./driver.ts";
import type { Command } from "./events.ts";
import { POLICY, type Policy } from "./policy.ts";
import { own } from "../runtime/own.ts";

/** A driver whose commands `app` carries out, deciding by POLICY with `overrides`; the app is up (its start already ran). */
export function driveLocally(app: App, overrides: Partial<Policy>, report: (c: Extract<Command, { do: "report" }>) => void): Driver {
  const later = (fn: () => void) => own.queueMicrotask(fn);
  const driver: Driver = new Driver({ configChanged: () => false }, { ...POLICY, ...overrides, canRestart: false }, (c) => {
    switch (c.do) {
      case "check":
        return later(() =>
          app.answerCheck(
            c,
            (verdict, reloading) => driver.feed({ t: "checked", id: c.id, verdict, reloading }),
            (reply) => driver.feed({ t: "reloaded", id: c.id, reply }),
          ),
        );
      case "reload":
        return void app.safeReload(c).then((reply) => driver.feed({ t: "reloaded", id: c.id, reply }));
      case "report":
        app.told(c.outcome, c.tickets);
        return report(c);
      case "ping":
        return later(() => driver.feed({ t: "pong" }));
      // What only a supervising process does: nothing to carry out in one process.
      case "banner":
      case "restart":
      case "signal":
      case "stop":
      case "kill":
      case "exit":
      case "fatal":
      case "serve":
      case "unavailable":
      case "hold":
        return;
      default:
        return unreachable(c);
    }
  });
  let tickets = 0;
  app.o.ask = (ask) => {
    const ticket = ++tickets;
    later(() => driver.feed({ t: "asked", ask, ticket }));
    return ticket;
  };
  driver.feed({ t: "ready", loaded: app.loaded, urls: app.host.urls(), mcpStdio: false });
  return driver;
}

function unreachable(x: never): never {
  throw new Error(`hmr-run: unknown command ${JSON.stringify(x)}`);
}
