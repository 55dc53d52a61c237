/**
 * Single-letter commands typed on the terminal, each followed by Enter. Only read when
 * stdin is a terminal (HMR_RUN_KEYS=1 forces it on, 0 off), so input piped to the
 * app stays the app's.
 */

/** Whether keys are read: then stdin is hmr-run's, else it is the app's. */
export function keysOn(): boolean {
  const flag = process.env.HMR_RUN_KEYS;
  return flag === "1" || (flag !== "0" && !!process.stdin.isTTY);
}

/**
 * Calls `keys[line]` for each line naming a key (`R` and `r` differ; a letter with no
 * upper-case command of its own works in either case); other lines print `help`.
 */
export function listenKeys(keys: Record<string, () => void>, help: () => void): void {
  if (!keysOn()) return;
  process.stdin.setEncoding("utf8");
  let buf = "";
  process.stdin.on("data", (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      const run = keys[line] ?? keys[line.toLowerCase()];
      if (run) run();
      else if (line) help();
    }
  });
  // A closed or broken stdin only ends the keys; the process keeps running.
  process.stdin.on("error", () => {});
}
