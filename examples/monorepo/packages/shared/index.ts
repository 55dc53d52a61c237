// Try it: change the greeting and save; apps/api serves the new one without a restart.
export const greet = (name: string) => `Hello, ${name}, from @acme/shared`;
