import { createTask, type ScheduledTask } from 'node-cron';
import type { BuildResult } from './build-feeds.js';
import type { WorkerBuildResult } from './thread-host.js';
import type { FeedStore } from '../http/feed-store.js';
import type { Logger } from '../logger.js';

export interface ScheduleOptions<R extends BuildResult | WorkerBuildResult = BuildResult | WorkerBuildResult> {
  readonly cron: string;
  /** The build: in-process (tests, CLI) or in the worker thread (the server). */
  readonly build: () => Promise<R>;
  readonly store: FeedStore;
  readonly logger: Logger;
  readonly clock?: () => Date;
  /** Called with the names of the files a successful build changed (WebSub notifications). */
  readonly onChanged?: (written: readonly string[]) => Promise<void>;
}

/**
 * Runs `build` and publishes its result to the store. A failure is logged and recorded, and the
 * store keeps serving the last good build. Used for the boot build and for every scheduled one.
 */
export async function buildAndPublish<R extends BuildResult | WorkerBuildResult>(
  { build, store, logger, clock = () => new Date(), onChanged }: Omit<ScheduleOptions<R>, 'cron'>,
  { scheduled }: { scheduled: boolean },
): Promise<R | undefined> {
  try {
    const result = await build();
    store.publish(result, clock(), { scheduled });
    const { report } = result;
    logger.info('build finished', {
      scheduled,
      durationMs: report.durationMs,
      filesRead: report.filesRead,
      filesParsed: report.filesParsed,
      rendered: report.rendered,
      published: report.published,
      drafts: report.drafts,
      heldUntilDate: report.scheduled,
      feeds: report.feeds,
      skipped: report.skipped,
      written: report.written.length,
      unchanged: report.unchanged.length,
      removed: report.removed.length,
    });
    // Not awaited: a slow hub must not hold the build (or, with noOverlap, the next one).
    if (onChanged && report.written.length) {
      onChanged(report.written).catch((error: unknown) => logger.warn('change notification failed', { error }));
    }
    return result;
  } catch (error) {
    store.recordFailure(error, clock(), { scheduled });
    logger.error('build failed; still serving the last good feeds', { scheduled, error });
    return undefined;
  }
}

/**
 * A node-cron task that rebuilds on `cron`. `noOverlap` makes a tick that finds the previous build
 * still running skip instead of starting a second one. The task is returned started.
 */
export function scheduleBuilds(options: ScheduleOptions): ScheduledTask {
  const { cron, logger } = options;
  const task = createTask(cron, () => buildAndPublish(options, { scheduled: true }), {
    name: 'build-feeds',
    noOverlap: true,
    logger: {
      info: (message) => logger.debug(message),
      warn: (message) => logger.warn(message),
      error: (message, error) => logger.error(String(message), { error }),
      debug: (message) => logger.debug(String(message)),
    },
  });
  task.on('execution:overlap', () => logger.warn('scheduled build skipped: the previous build is still running'));
  task.start();
  return task;
}
