/** Marks the JSON line bench/probe-rss.ts prints at a measured child's exit. */
export const PROBE_TAG = 'feed-bench-probe';
