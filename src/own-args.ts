/** hmr-run's own arguments: those before `--` (the rest are the app's). */
export function ownArgs(argv: string[]): string[] {
  return argv.includes("--") ? argv.slice(0, argv.indexOf("--")) : argv;
}
