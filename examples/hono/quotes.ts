/** Plain data in its own module: editing it re-runs this file, api.ts and main.ts, nothing else. */
export const quotes = [
  { by: "Ada Lovelace", text: "The more I study, the more insatiable do I feel my genius for it to be." },
  { by: "Grace Hopper", text: "The most dangerous phrase in the language is: we've always done it this way." },
];
