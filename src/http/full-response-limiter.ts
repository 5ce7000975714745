/** At most `limit` full responses per client in each window of `windowSeconds`. */
export interface FullResponseLimit {
  readonly limit: number;
  readonly windowSeconds: number;
}

/** More clients than this in one window: the oldest windows are dropped (about 10 MB at most). */
export const MAX_CLIENTS = 100_000;

/**
 * The key a client is counted under: an IPv4 address (also when a dual-stack socket gives it as
 * ::ffff:a.b.c.d), or an IPv6 address's /64 network, since one subscriber line or host is given a
 * whole /64 (RFC 6177) and could otherwise pick a new address for every request.
 */
export function clientKey(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!address.includes(':')) return address;
  const bare = address.replace(/%.*$/, ''); // a zone index (fe80::1%eth0)
  const [head = '', tail] = bare.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((group) => Number.parseInt(group, 16).toString(16))
    .join(':')}::/64`;
}

interface Window {
  readonly start: number;
  count: number;
}

/**
 * Counts full (200) responses per client in fixed windows: a client's window starts with its
 * first counted response and lasts `windowSeconds`; within it, `limit` responses are allowed.
 * Only what the caller counts is counted: the app takes a slot once it knows a response will be
 * a 200, so 304s never count and are never refused.
 *
 * Memory is bounded: windows are kept in a Map in the order they started (a new window is a new
 * insertion), so the expired ones are always at its front and are dropped there as time passes,
 * at constant cost per call; and past `maxClients` live windows the oldest is dropped (that
 * client starts afresh: under a flood of distinct addresses the limit is lenient, never the
 * memory).
 */
export class FullResponseLimiter {
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #maxClients: number;
  readonly #now: () => number;
  readonly #windows = new Map<string, Window>();

  /** `now`: a monotonic clock in ms (tests pass their own). */
  constructor({ limit, windowSeconds }: FullResponseLimit, { maxClients = MAX_CLIENTS, now = () => performance.now() }: { maxClients?: number; now?: () => number } = {}) {
    this.#limit = limit;
    this.#windowMs = windowSeconds * 1000;
    this.#maxClients = maxClients;
    this.#now = now;
  }

  /** Clients with a live window. */
  get size(): number {
    return this.#windows.size;
  }

  /**
   * Counts one full response for `client` and returns 0, or, when its window is full, counts
   * nothing and returns the whole seconds until the window ends (at least 1: a Retry-After).
   */
  take(client: string): number {
    const now = this.#now();
    const window = this.#windowOf(client, now);
    if (window.count >= this.#limit) return this.#secondsLeft(window, now);
    window.count += 1;
    return 0;
  }

  /** Like take, without counting: 0 when `client` may have a full response now. */
  wait(client: string): number {
    const now = this.#now();
    this.#dropExpired(now);
    const window = this.#windows.get(client);
    return window !== undefined && window.count >= this.#limit ? this.#secondsLeft(window, now) : 0;
  }

  #windowOf(client: string, now: number): Window {
    this.#dropExpired(now);
    let window = this.#windows.get(client);
    if (window === undefined) {
      if (this.#windows.size >= this.#maxClients) this.#windows.delete(this.#windows.keys().next().value!);
      window = { start: now, count: 0 };
      this.#windows.set(client, window);
    }
    return window;
  }

  #dropExpired(now: number): void {
    for (const [client, window] of this.#windows) {
      if (window.start + this.#windowMs > now) return;
      this.#windows.delete(client);
    }
  }

  #secondsLeft(window: Window, now: number): number {
    return Math.max(1, Math.ceil((window.start + this.#windowMs - now) / 1000));
  }
}
