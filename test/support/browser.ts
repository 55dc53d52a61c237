/**
 * Finds a Chromium-family browser for the browser tests, where people have one:
 * $CHROME_PATH, the usual Linux, macOS and Windows install paths, $PATH, and the
 * copy `bunx playwright install chromium` downloads. With none, the tests fail with
 * one line saying how to get one; they are never skipped.
 */
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/** How to get a browser, in one line. */
export const HOW_TO_GET_ONE =
  "no Chrome, Chromium or Edge found: install one (Debian/Ubuntu: apt-get install chromium; macOS: brew install --cask chromium; any OS: bunx playwright install chromium) or set CHROME_PATH to its executable";

interface Where {
  env: Record<string, string | undefined>;
  platform: NodeJS.Platform;
  home: string;
  exists: (path: string) => boolean;
  which: (name: string) => string | null;
  /** Where Playwright keeps the browser it downloads, when it has one. */
  playwright: () => string | undefined;
}

/** The places to look, in order, for this platform. */
export function candidates(w: Pick<Where, "env" | "platform" | "home">): string[] {
  const { env, platform, home } = w;
  if (platform === "darwin") {
    const apps = ["Google Chrome.app/Contents/MacOS/Google Chrome", "Chromium.app/Contents/MacOS/Chromium", "Microsoft Edge.app/Contents/MacOS/Microsoft Edge", "Google Chrome Canary.app/Contents/MacOS/Google Chrome Canary"];
    return [...apps.map((a) => `/Applications/${a}`), ...apps.map((a) => join(home, "Applications", a))];
  }
  if (platform === "win32") {
    const roots = [env.PROGRAMFILES, env["PROGRAMFILES(X86)"], env.LOCALAPPDATA].filter((r): r is string => !!r);
    const exes = ["Google\\Chrome\\Application\\chrome.exe", "Chromium\\Application\\chrome.exe", "Microsoft\\Edge\\Application\\msedge.exe"];
    return roots.flatMap((r) => exes.map((e) => `${r}\\${e}`));
  }
  return [
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome",
    "/usr/bin/google-chrome-stable",
    "/usr/bin/microsoft-edge",
    "/usr/bin/microsoft-edge-stable",
    "/snap/bin/chromium",
    "/opt/google/chrome/chrome",
  ];
}

const ON_PATH = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome", "microsoft-edge", "msedge"];

/** The browser executable to launch, or an Error whose message is one line saying how to get one. */
export function findBrowser(w: Partial<Where> = {}): string | Error {
  const env = w.env ?? process.env;
  const exists = w.exists ?? existsSync;
  if (env.CHROME_PATH) {
    return exists(env.CHROME_PATH) ? env.CHROME_PATH : new Error(`CHROME_PATH is ${env.CHROME_PATH}, which does not exist; ${HOW_TO_GET_ONE}`);
  }
  const found = candidates({ env, platform: w.platform ?? process.platform, home: w.home ?? homedir() }).find(exists);
  if (found) return found;
  const which = w.which ?? ((name: string) => Bun.which(name));
  for (const name of ON_PATH) {
    const p = which(name);
    if (p) return p;
  }
  const pw = (w.playwright ?? playwrightChromium)();
  if (pw && exists(pw)) return pw;
  return new Error(HOW_TO_GET_ONE);
}

function playwrightChromium(): string | undefined {
  try {
    return (require("playwright-core") as typeof import("playwright-core")).chromium.executablePath();
  } catch {
    return undefined; // Playwright knows no download for this platform.
  }
}

/** The browser to launch; throws the one-line "how to get one" when there is none. */
export function browserPath(): string {
  const found = findBrowser();
  if (found instanceof Error) throw found;
  return found;
}
