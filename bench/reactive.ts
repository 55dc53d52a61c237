/**
 * hmr-run/reactive against the engine it wraps (alien-signals) and @preact/signals-core,
 * on the usual shapes, in one run. Each shape is written out per library (no adapter
 * layer) so the table shows what the wrapper itself costs.
 *
 *   bun bench/reactive.ts            # prints a markdown table
 */
import * as hmr from "../src/reactive/index.ts";
import * as alien from "alien-signals";
import * as preact from "@preact/signals-core";

const WIDTH = 1000;
const DEPTH = 1000;

/** One shape built for one library: `step(i)` writes once and lets everything settle. */
type Built = { step(i: number): void; check(): number };
/** `expect(v)`: what `check()` must say right after `step(v)`. */
type Shape = { name: string; what: string; expect(v: number): number; libs: Record<Lib, () => Built> };
type Lib = "hmr-run/reactive" | "alien-signals" | "@preact/signals-core";
const LIBS: Lib[] = ["hmr-run/reactive", "alien-signals", "@preact/signals-core"];

const shapes: Shape[] = [
  {
    name: "wide fan-out",
    what: `1 signal → ${WIDTH} derived → ${WIDTH} effects; one write`,
    expect: () => WIDTH,
    libs: {
      "hmr-run/reactive": () => {
        const s = hmr.signal(0);
        let runs = 0;
        for (let i = 0; i < WIDTH; i++) {
          const d = hmr.derived(() => s.get() + i);
          hmr.effect(() => void (runs += d.get() >= 0 ? 1 : 0));
        }
        return { step: (i) => ((runs = 0), s.set(i)), check: () => runs };
      },
      "alien-signals": () => {
        const s = alien.signal(0);
        let runs = 0;
        for (let i = 0; i < WIDTH; i++) {
          const d = alien.computed(() => s() + i);
          alien.effect(() => void (runs += d() >= 0 ? 1 : 0));
        }
        return { step: (i) => ((runs = 0), s(i)), check: () => runs };
      },
      "@preact/signals-core": () => {
        const s = preact.signal(0);
        let runs = 0;
        for (let i = 0; i < WIDTH; i++) {
          const d = preact.computed(() => s.value + i);
          preact.effect(() => void (runs += d.value >= 0 ? 1 : 0));
        }
        return { step: (i) => ((runs = 0), (s.value = i)), check: () => runs };
      },
    },
  },
  {
    name: "deep chain",
    what: `1 signal → ${DEPTH} derived in a row → 1 effect; one write`,
    expect: (v) => v + DEPTH,
    libs: {
      "hmr-run/reactive": () => {
        const s = hmr.signal(0);
        let last: { get(): number } = s;
        for (let i = 0; i < DEPTH; i++) {
          const prev = last;
          last = hmr.derived(() => prev.get() + 1);
        }
        let out = 0;
        hmr.effect(() => void (out = last.get()));
        return { step: (i) => s.set(i), check: () => out };
      },
      "alien-signals": () => {
        const s = alien.signal(0);
        let last: () => number = s;
        for (let i = 0; i < DEPTH; i++) {
          const prev = last;
          last = alien.computed(() => prev() + 1);
        }
        let out = 0;
        alien.effect(() => void (out = last()));
        return { step: (i) => s(i), check: () => out };
      },
      "@preact/signals-core": () => {
        const s = preact.signal(0);
        let last: { value: number } = s;
        for (let i = 0; i < DEPTH; i++) {
          const prev = last;
          last = preact.computed(() => prev.value + 1);
        }
        let out = 0;
        preact.effect(() => void (out = last.value));
        return { step: (i) => void (s.value = i), check: () => out };
      },
    },
  },
  {
    name: "diamond",
    what: `1 signal → ${WIDTH} derived → 1 derived summing them → 1 effect; one write`,
    expect: (v) => (v * WIDTH * (WIDTH - 1)) / 2,
    libs: {
      "hmr-run/reactive": () => {
        const s = hmr.signal(0);
        const mids = Array.from({ length: WIDTH }, (_, i) => hmr.derived(() => s.get() * i));
        const bottom = hmr.derived(() => mids.reduce((a, m) => a + m.get(), 0));
        let out = 0;
        hmr.effect(() => void (out = bottom.get()));
        return { step: (i) => s.set(i), check: () => out };
      },
      "alien-signals": () => {
        const s = alien.signal(0);
        const mids = Array.from({ length: WIDTH }, (_, i) => alien.computed(() => s() * i));
        const bottom = alien.computed(() => mids.reduce((a, m) => a + m(), 0));
        let out = 0;
        alien.effect(() => void (out = bottom()));
        return { step: (i) => s(i), check: () => out };
      },
      "@preact/signals-core": () => {
        const s = preact.signal(0);
        const mids = Array.from({ length: WIDTH }, (_, i) => preact.computed(() => s.value * i));
        const bottom = preact.computed(() => mids.reduce((a, m) => a + m.value, 0));
        let out = 0;
        preact.effect(() => void (out = bottom.value));
        return { step: (i) => void (s.value = i), check: () => out };
      },
    },
  },
  {
    name: "create + dispose",
    what: `make 1 signal, 1 derived and 1 effect, then dispose the effect; ×${WIDTH}`,
    expect: () => WIDTH,
    libs: {
      "hmr-run/reactive": () => {
        let out = 0;
        const step = (i: number) => {
          out = 0;
          for (let k = 0; k < WIDTH; k++) {
            const s = hmr.signal(i + k);
            const d = hmr.derived(() => s.get() * 2);
            hmr.effect(() => void (out += d.get() >= 0 ? 1 : 0))();
          }
        };
        return { step, check: () => out };
      },
      "alien-signals": () => {
        let out = 0;
        const step = (i: number) => {
          out = 0;
          for (let k = 0; k < WIDTH; k++) {
            const s = alien.signal(i + k);
            const d = alien.computed(() => s() * 2);
            alien.effect(() => void (out += d() >= 0 ? 1 : 0))();
          }
        };
        return { step, check: () => out };
      },
      "@preact/signals-core": () => {
        let out = 0;
        const step = (i: number) => {
          out = 0;
          for (let k = 0; k < WIDTH; k++) {
            const s = preact.signal(i + k);
            const d = preact.computed(() => s.value * 2);
            preact.effect(() => void (out += d.value >= 0 ? 1 : 0))();
          }
        };
        return { step, check: () => out };
      },
    },
  },
];

const ROUNDS = 15;
const WARMUP = 300;
/** Each timed sample runs steps until at least this long has passed, so timer resolution does not matter. */
const SAMPLE_MS = 30;

/**
 * Best µs per step of each library over the rounds. Rounds interleave libraries, each
 * round starting with the next one, so drift hits all alike; the best sample is kept because other processes only ever slow a sample down.
 */
function measure(shape: Shape): Record<Lib, number> {
  const built = Object.fromEntries(LIBS.map((l) => [l, shape.libs[l]()])) as Record<Lib, Built>;
  let i = 1;
  for (const l of LIBS) for (let k = 0; k < WARMUP; k++) built[l].step(i++);
  const samples = Object.fromEntries(LIBS.map((l) => [l, [] as number[]])) as Record<Lib, number[]>;
  for (let r = 0; r < ROUNDS; r++) {
    for (const l of [...LIBS.slice(r % LIBS.length), ...LIBS.slice(0, r % LIBS.length)]) {
      const b = built[l];
      let n = 0;
      const start = performance.now();
      let now = start;
      while (now - start < SAMPLE_MS) {
        for (let k = 0; k < 20; k++) b.step(i++);
        n += 20;
        now = performance.now();
      }
      samples[l].push(((now - start) * 1000) / n);
    }
  }
  // Every library must do the whole job, or the race is not fair.
  for (const l of LIBS) {
    built[l].step(i);
    const got = built[l].check();
    if (got !== shape.expect(i)) throw new Error(`${l} on "${shape.name}": got ${got}, expected ${shape.expect(i)}`);
  }
  return Object.fromEntries(LIBS.map((l) => [l, Math.min(...samples[l])])) as Record<Lib, number>;
}

const fmt = (us: number) => (us >= 100 ? us.toFixed(0) : us >= 10 ? us.toFixed(1) : us.toFixed(2));

console.log(`Bun ${Bun.version}, ${navigator.hardwareConcurrency} cores; best of ${ROUNDS} samples, µs per write (lower is better)\n`);
console.log(`| shape | ${LIBS.join(" | ")} | wrapper cost |`);
console.log(`|---|${LIBS.map(() => "--:").join("|")}|--:|`);
for (const shape of shapes) {
  const t = measure(shape);
  const cost = (t["hmr-run/reactive"] / t["alien-signals"] - 1) * 100;
  const cells = LIBS.map((l) => fmt(t[l]));
  console.log(`| ${shape.name} | ${cells.join(" | ")} | ${cost >= 0 ? "+" : ""}${cost.toFixed(0)}% |`);
}
console.log("\n" + shapes.map((s) => `- ${s.name}: ${s.what}`).join("\n"));
