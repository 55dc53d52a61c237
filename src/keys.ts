/**
 * Single-letter commands typed on the terminal, each followed by Enter. Only read when
 * stdin is a terminal (HMR_RUN_KEYS=1 forces it on, 0 off), so input piped to the
 * app stays the app's.
 */

/** Calls `keys[letter]` for each line that is one of its letters; other lines print `help`. */
export function listenKeys(keys: Record<string, () => void>, help: () => void): void {
  const flag = process.env.HMR_RUN_KEYS;
  if (flag === "0" || (flag !== "1" && !process.stdin.isTTY)) return;
  process.stdin.setEncoding("utf8");
  let buf = "";
  process.stdin.on("data", (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl).trim().toLowerCase();
      buf = buf.slice(nl + 1);
      const run = keys[line];
      if (run) run();
      else if (line) help();
    }
  });
  // A closed or broken stdin only ends the keys; the process keeps running.
  process.stdin.on("error", () => {});
}
