// Try it: change the message and save; the next job prints the new one.
export function handle(job: number): string {
  return `handled by v1 (${job % 2 ? "odd" : "even"})`;
}
