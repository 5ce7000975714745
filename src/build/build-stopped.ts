/**
 * A build asked to stop (the server stopping, `npm run build:feeds` interrupted) ends at the next
 * point where nothing of it is in the feeds folder yet: between the scan's chunks, between its
 * stages, between the chunks of the entries it renders before planning, or between the documents
 * it writes (their staged files are then taken back). What it had read, parsed and rendered by
 * then is in the build cache, which the caller saves, so the next build goes on from there
 * instead of starting again. Once it puts its files in place (a synchronous stretch), it finishes.
 */
import { FeedServiceError } from '../errors.js';

export class BuildStopped extends FeedServiceError {
  constructor(message = 'The build was stopped before it put any file in place; the next build goes on from what it had read.') {
    super('BUILD_STOPPED', message);
    this.name = 'BuildStopped';
  }
}

/** Throws BuildStopped if `stop` was aborted. */
export function throwIfStopped(stop: AbortSignal | undefined): void {
  if (stop?.aborted) throw new BuildStopped();
}
