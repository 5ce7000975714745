import type { Logger } from '../logger.js';

/** How often a long scan says how far it got. */
export const SCAN_PROGRESS_INTERVAL_MS = 15_000;

/**
 * A scan's progress as log lines, for a build long enough to need them (a million articles are
 * read for several minutes, and some CI runners stop a job that prints nothing for ten): a line
 * once `intervalMs` has passed since the scan began or since the last line, none for a scan that
 * ends sooner, none when it is done (the build's own report follows).
 */
export function scanProgressLog(logger: Logger, { intervalMs = SCAN_PROGRESS_INTERVAL_MS, now = () => performance.now() } = {}): (read: number, total: number) => void {
  let last = now();
  return (read, total) => {
    if (read >= total) return;
    const at = now();
    if (at - last < intervalMs) return;
    last = at;
    logger.info(`reading content: ${read} of ${total} files`, { progress: 'scan', read, total });
  };
}
