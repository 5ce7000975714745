import { createTask, type ScheduledTask } from 'node-cron';
import type { BuildResult } from './build-feeds.js';
import type { ThreadBuildResult } from './thread-host.js';
import type { FeedStore } from '../http/feed-store.js';
import type { Logger } from '../logger.js';
import { failureSummary } from '../errors.js';

/** The reason of a build the cron schedule started. */
export const SCHEDULED_BUILD = 'schedule';

export interface ScheduleOptions<R extends BuildResult | ThreadBuildResult = BuildResult | ThreadBuildResult> {
  readonly cron: string;
  /** The build: in-process (tests, CLI) or in the build thread (the server); `reason` says what started it. */
  readonly build: (reason: string) => Promise<R>;
  readonly store: FeedStore;
  readonly logger: Logger;
  readonly clock?: () => Date;
  /** Called with the names of the files a successful build changed (WebSub notifications). */
  readonly onChanged?: (written: readonly string[]) => Promise<void>;
}

/**
 * Runs `build` and publishes its result to the store. A failure is logged and recorded, and the
 * store keeps serving the last good build. Used for every build the server runs.
 */
export async function buildAndPublish<R extends BuildResult | ThreadBuildResult>(
  { build, store, logger, clock = () => new Date(), onChanged }: Omit<ScheduleOptions<R>, 'cron'>,
  { scheduled, reason = scheduled ? SCHEDULED_BUILD : 'start' }: { scheduled: boolean; reason?: string },
): Promise<R | undefined> {
  try {
    const result = await build(reason);
    store.publish(result, clock(), { scheduled });
    const { report } = result;
    logger.info('build finished', {
      scheduled,
      reason,
      durationMs: report.durationMs,
      filesRead: report.filesRead,
      filesParsed: report.filesParsed,
      rendered: report.rendered,
      renderedByWriteThread: report.renderedByWriteThread,
      published: report.published,
      drafts: report.drafts,
      heldUntilDate: report.scheduled,
      feeds: report.feeds,
      skipped: report.skipped,
      written: report.written.length,
      unchanged: report.unchanged,
      removed: report.removed.length,
    });
    // Not awaited: a slow hub must not hold the build (or the next one).
    if (onChanged && report.written.length) {
      onChanged(report.written).catch((error: unknown) => logger.warn('change notification failed', { error }));
    }
    return result;
  } catch (error) {
    if ((error as { code?: unknown } | undefined)?.code === 'BUILD_STOPPED') {
      // A stop (SIGTERM, a deploy) during a build: nothing failed, and the last feeds stay served.
      // The code alone: from the build thread the error arrives as data (errorFromSummary).
      logger.info('build stopped: the server is stopping', { scheduled, reason });
      return undefined;
    }
    store.recordFailure(error, clock(), { scheduled });
    // Its details as fields of their own: a disk fault's file and errno, a held-back build's counts.
    logger.error('build failed; still serving the last good feeds', { scheduled, reason, error, ...failureSummary(error).details });
    return undefined;
  }
}

/** node-cron's own messages through our logger; its routine "task ran" lines at debug. */
function cronLogger(logger: Logger): NonNullable<Parameters<typeof createTask>[2]>['logger'] {
  return {
    info: (message) => logger.debug(message),
    warn: (message) => logger.warn(message),
    error: (message, error) => logger.error(String(message), { error }),
    debug: (message) => logger.debug(String(message)),
  };
}

export interface BuildTriggerOptions<R extends BuildResult | ThreadBuildResult> extends ScheduleOptions<R> {
  /** A change is built once no further change has come for this long (a burst of files is one build). */
  readonly quietMs: number;
  /** …but no later than this after the first change of a burst, so a steady stream still builds. */
  readonly maxWaitMs: number;
}

/**
 * Every build the server runs, in one queue: the first build, the cron schedule (the safety net),
 * and builds started by a change the content watcher saw, after a short quiet period. One build
 * runs at a time; a change during a build starts one more build when it ends (a cron tick during
 * a build is skipped, as before). `stop()` stops all three and waits for a running build.
 */
export class BuildTrigger<R extends BuildResult | ThreadBuildResult> {
  readonly #options: BuildTriggerOptions<R>;
  #task: ScheduledTask | undefined;
  #running: Promise<unknown> | undefined;
  #again: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #burstStarted = 0;
  #stopped = false;

  constructor(options: BuildTriggerOptions<R>) {
    this.#options = options;
  }

  /** Starts the cron schedule. */
  start(): void {
    const { cron, logger } = this.#options;
    this.#task = createTask(cron, () => this.scheduledBuild(), {
      name: 'build-feeds',
      logger: cronLogger(logger),
    });
    this.#task.start();
  }

  /** What a tick of the schedule does: a build, unless one is running (then the tick is skipped, with a warning). */
  scheduledBuild(): Promise<unknown> | undefined {
    if (this.#running) {
      this.#options.logger.warn('scheduled build skipped: the previous build is still running');
      return undefined;
    }
    return this.run(SCHEDULED_BUILD);
  }

  /** Runs a build now, or once the running one ends. Resolves when that build has finished. */
  run(reason: string): Promise<unknown> {
    if (this.#stopped) return Promise.resolve();
    if (this.#running) {
      this.#again ??= reason;
      return this.#running;
    }
    const running = (async () => {
      let next: string | undefined = reason;
      while (next !== undefined && !this.#stopped) {
        this.#again = undefined;
        await buildAndPublish(this.#options, { scheduled: next !== 'start', reason: next });
        next = this.#again;
      }
    })();
    this.#running = running.finally(() => {
      if (this.#running === tracked) this.#running = undefined;
    });
    const tracked = this.#running;
    return tracked;
  }

  /** The content watcher saw a change: build after the quiet period. */
  contentChanged(): void {
    if (this.#stopped) return;
    const now = Date.now();
    if (this.#timer === undefined) this.#burstStarted = now;
    else clearTimeout(this.#timer);
    const wait = Math.max(0, Math.min(this.#options.quietMs, this.#burstStarted + this.#options.maxWaitMs - now));
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.run('content changed');
    }, wait);
  }

  /** Stops the schedule and the watcher's builds, and waits for a running build to end. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#task?.destroy();
    await this.#running;
  }
}
