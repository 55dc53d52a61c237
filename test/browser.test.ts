/** The browser finder the browser tests use: where it looks on each OS, and what it says when nothing is there. */
import { describe, expect, test } from "bun:test";
import { findBrowser, HOW_TO_GET_ONE } from "./support/browser.ts";

const none = { which: () => null, playwright: () => undefined };

describe("findBrowser", () => {
  test("CHROME_PATH wins; a CHROME_PATH that does not exist is one line", () => {
    const has = (p: string) => p === "/opt/my/chrome" || p === "/usr/bin/chromium";
    expect(findBrowser({ ...none, env: { CHROME_PATH: "/opt/my/chrome" }, platform: "linux", exists: has })).toBe("/opt/my/chrome");
    const err = findBrowser({ ...none, env: { CHROME_PATH: "/nope" }, platform: "linux", exists: has });
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toStartWith("CHROME_PATH is /nope, which does not exist;");
    expect((err as Error).message).not.toContain("\n");
  });

  test("Linux, macOS and Windows install paths", () => {
    const at = (where: string) => (p: string) => p === where;
    expect(findBrowser({ ...none, env: {}, platform: "linux", exists: at("/usr/bin/google-chrome-stable") })).toBe("/usr/bin/google-chrome-stable");
    const mac = "/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge";
    expect(findBrowser({ ...none, env: {}, platform: "darwin", home: "/Users/me", exists: at(mac) })).toBe(mac);
    const userMac = "/Users/me/Applications/Chromium.app/Contents/MacOS/Chromium";
    expect(findBrowser({ ...none, env: {}, platform: "darwin", home: "/Users/me", exists: at(userMac) })).toBe(userMac);
    const win = "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe";
    const env = { PROGRAMFILES: "C:\\Program Files", "PROGRAMFILES(X86)": "C:\\Program Files (x86)" };
    expect(findBrowser({ ...none, env, platform: "win32", exists: at(win) })).toBe(win);
  });

  test("then $PATH, then Playwright's download; with none, one line saying how to get one", () => {
    const nothing = () => false;
    expect(findBrowser({ ...none, env: {}, platform: "linux", exists: nothing, which: (n) => (n === "chromium-browser" ? "/home/me/bin/chromium-browser" : null) })).toBe("/home/me/bin/chromium-browser");
    const pw = "/home/me/.cache/ms-playwright/chromium-1/chrome-linux/chrome";
    expect(findBrowser({ ...none, env: {}, platform: "linux", exists: (p) => p === pw, playwright: () => pw })).toBe(pw);
    const err = findBrowser({ ...none, env: {}, platform: "linux", exists: nothing });
    expect((err as Error).message).toBe(HOW_TO_GET_ONE);
    expect(HOW_TO_GET_ONE).not.toContain("\n");
  });
});
