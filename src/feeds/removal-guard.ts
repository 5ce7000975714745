import type { RemovalCount } from './deleted-entries.js';

/** How many published entries one build may remove before it is held back (Config.removalGuard). */
export interface RemovalPolicy {
  /** Percent of the entries the build before published. */
  readonly percent: number;
  /** …but never fewer than this many entries. */
  readonly minimum: number;
}

/** The most one build may remove when `published` entries were published: the larger of the percentage and the minimum. */
export function removalLimit(published: number, policy: RemovalPolicy): number {
  return Math.max(Math.floor((published * policy.percent) / 100), policy.minimum);
}

/**
 * Whether a build removes more of the entries the build before published than the policy allows:
 * a content folder that went empty (an unmounted volume, a failed checkout) removes them all; an
 * editor removing a few never comes near the limit.
 */
export function exceedsRemovalLimit({ before, removed }: RemovalCount, policy: RemovalPolicy): boolean {
  return removed > removalLimit(before, policy);
}
