import type { BuildReport, BuildResult } from './build.js';
import { createSnapshot, type FeedSnapshot } from './http/feed-snapshot.js';

export interface BuildFailure {
  readonly at: Date;
  readonly message: string;
  readonly scheduled: boolean;
}

export interface Health {
  readonly status: 'ok' | 'degraded' | 'starting';
  readonly lastBuild: {
    readonly finishedAt: string;
    readonly durationMs: number;
    readonly articles: number;
    readonly drafts: number;
    readonly scheduled: number;
    readonly feeds: number;
    readonly files: number;
    readonly skipped: number;
    readonly problems: number;
  } | null;
  readonly lastScheduledBuildFailed: boolean;
  readonly lastFailure: { readonly at: string; readonly message: string } | null;
}

/**
 * Holds what the server serves: the snapshot of the last good build, swapped in one assignment,
 * and what /healthz reports. A failed build changes only the failure record: the last good
 * feeds stay served.
 */
export class FeedStore {
  #snapshot: FeedSnapshot | undefined;
  #report: BuildReport | undefined;
  #failure: BuildFailure | undefined;
  #lastScheduledFailed = false;

  get snapshot(): FeedSnapshot | undefined {
    return this.#snapshot;
  }

  publish(result: BuildResult, finishedAt: Date, { scheduled = false } = {}): void {
    this.#snapshot = createSnapshot(result.files, finishedAt, this.#snapshot);
    this.#report = result.report;
    if (scheduled) this.#lastScheduledFailed = false;
  }

  recordFailure(error: unknown, at: Date, { scheduled = false } = {}): void {
    this.#failure = { at, message: error instanceof Error ? error.message : String(error), scheduled };
    if (scheduled) this.#lastScheduledFailed = true;
  }

  health(): Health {
    const report = this.#report;
    const snapshot = this.#snapshot;
    return {
      status: snapshot === undefined ? 'starting' : this.#lastScheduledFailed ? 'degraded' : 'ok',
      lastBuild:
        report && snapshot
          ? {
              finishedAt: snapshot.builtAt.toISOString(),
              durationMs: report.durationMs,
              articles: report.published,
              drafts: report.drafts,
              scheduled: report.scheduled,
              feeds: report.feeds,
              files: snapshot.files.size,
              skipped: report.skipped,
              problems: report.problems.length,
            }
          : null,
      lastScheduledBuildFailed: this.#lastScheduledFailed,
      lastFailure: this.#failure ? { at: this.#failure.at.toISOString(), message: this.#failure.message } : null,
    };
  }
}
