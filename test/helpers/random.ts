/**
 * mulberry32: a tiny seeded 32-bit PRNG returning [0, 1), the same sequence on every platform,
 * so a failing fuzz, crash or benchmark run can be replayed from its printed seed.
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Seeded random choices over mulberry32. */
export class Random {
  readonly #next: () => number;
  constructor(seed: number) {
    this.#next = mulberry32(seed);
  }
  float(): number {
    return this.#next();
  }
  /** A whole number from min to max, both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.#next() * (max - min + 1));
  }
  chance(probability: number): boolean {
    return this.#next() < probability;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.#next() * items.length)]!;
  }
  /** `count` distinct items, in random order. */
  sample<T>(items: readonly T[], count: number): T[] {
    const pool = [...items];
    const out: T[] = [];
    while (out.length < count && pool.length) out.push(pool.splice(Math.floor(this.#next() * pool.length), 1)[0]!);
    return out;
  }
  chars(alphabet: string, length: number): string {
    let out = '';
    for (let i = 0; i < length; i++) out += alphabet[Math.floor(this.#next() * alphabet.length)];
    return out;
  }
}

/**
 * The seed in the environment variable `name` (decimal or 0x…), or `fallback` when it is unset or
 * empty; anything else is a TypeError naming the variable.
 */
export function envSeed(name: string, fallback: number, env: Readonly<Record<string, string | undefined>> = process.env): number {
  const value = env[name]?.trim();
  if (!value) return fallback;
  const seed = Number(value);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new TypeError(`${name} must be a whole number, received ${JSON.stringify(value)}`);
  return seed >>> 0;
}

/**
 * Wraps a test or hook so that whatever it throws ends with `replay` (say, `seed 7; rerun with
 * X_SEED=7`): in the message, which the TAP reporter prints, and in the stack above its frames,
 * which the spec reporter prints. A random test's failure then always says how to replay it.
 */
export function namingSeedOnFailure(replay: string) {
  return <A extends unknown[], R>(body: (...args: A) => R | Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await body(...args);
      } catch (error) {
        if (error instanceof Error && !error.message.endsWith(replay)) {
          error.message += `\n${replay}`;
          const frames = error.stack?.indexOf('\n    at ') ?? -1;
          if (error.stack && frames !== -1) error.stack = `${error.stack.slice(0, frames)}\n${replay}${error.stack.slice(frames)}`;
        }
        throw error;
      }
    };
}
