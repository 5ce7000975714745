import { parseArgs } from 'node:util';
import { buildFeeds } from '../build/build-feeds.js';
import { BuildStopped } from '../build/build-stopped.js';
import { loadConfig } from '../config.js';
import { formatProblem } from '../content/problems.js';
import { FEED_KINDS } from '../feeds/feed-model.js';
import { ConfigError, failureSummary } from '../errors.js';
import { DiskWriteError } from '../build/disk-write-error.js';
import { MANIFEST_NAME } from '../build/write-feeds.js';
import type { Logger } from '../logger.js';
import { terminalText } from './terminal-text.js';
import { lockBuildFolders, type FolderLock } from '../build/folder-locks.js';

const USAGE = `Usage: npm run build:feeds -- [--strict] [--allow-mass-removal]

Reads the Markdown articles in CONTENT_DIR (default content/) and writes every feed to
FEEDS_DIR (default feeds/). Settings come from the environment (see README).

  --strict               exit with status 1 when any file was skipped or any problem was reported (for CI)
  --allow-mass-removal   publish even if this build removes more published entries than the
                         removal guard allows (REMOVAL_LIMIT_PERCENT, REMOVAL_LIMIT_ENTRIES)
  --help                 show this text

Exit status: 0 built; 1 not built or not published: the content folder is missing, the build
would remove too many published entries, or a file cannot be written (ENOSPC, EIO, EACCES...).
The message says why and what to do; FEEDS_DIR then holds the last good build, unchanged.
2: bad usage or settings.`;

/**
 * Prints one line of the report. Every line goes through terminalText: file names (in problems,
 * warnings, errors) come from the content folder, and a control character in one must not forge
 * a line of the report or reach the terminal as an escape sequence.
 */
function printLine(stream: NodeJS.WritableStream, line: string): void {
  stream.write(`${terminalText(line)}\n`);
}

/** Where the entries the byte budget kept out of subscription feeds went: archive pages, or none for feeds of a kind without them. */
function budgetOutcome({ entries, leftOut }: { readonly entries: number; readonly leftOut: number }): string {
  if (leftOut === 0) return `${entries} of their newest entries are on archive pages instead`;
  if (leftOut === entries) return `${entries} of their newest entries were left out`;
  return `${entries - leftOut} of their newest entries are on archive pages instead, and ${leftOut} were left out (feeds without archive pages)`;
}

/** `npm run build:feeds`: the same build the server runs, printed for a person or a CI log. */
async function main(): Promise<number> {
  let options;
  try {
    options = parseArgs({ options: { strict: { type: 'boolean' }, 'allow-mass-removal': { type: 'boolean' }, help: { type: 'boolean' } }, strict: true }).values;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }

  let config;
  try {
    config = loadConfig(process.env, {
      ...(options.strict ? { strict: true } : {}),
      ...(options['allow-mass-removal'] ? { allowMassRemoval: true } : {}),
    });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 2;
    }
    throw error;
  }

  // Warnings such as a discarded build cache go to stderr, and so does a long scan's progress;
  // problems and the rest are printed below from the report.
  const logger: Logger = {
    debug: () => {},
    info: (message, fields) => {
      if (fields?.progress !== undefined) printLine(process.stderr, `${message[0]!.toUpperCase()}${message.slice(1)}`);
    },
    warn: (message, fields) => {
      if (fields?.issues === undefined) printLine(process.stderr, `Warning: ${message}`);
    },
    error: (message) => printLine(process.stderr, `Error: ${message}`),
  };
  // SIGTERM or SIGINT (a CI job cancelled, Ctrl-C, `timeout`) stops the build at its next point
  // before it puts a file in place (build-stopped.ts): what it read, parsed and rendered is saved
  // in the build cache, so the next run goes on from there, and what it had staged is taken back.
  // Once the build is over, or at a second signal, the process ends at the next turn of the event
  // loop, never inside the synchronous stretch that puts the build's files in place and writes
  // the manifest: the feeds folder holds the last build or this one, whole, never part of each (a
  // SIGKILL there still leaves each file whole, old or new).
  const stopBuild = new AbortController();
  let building = true;
  let signalled: NodeJS.Signals | undefined;
  const signalExitCode = (signal: NodeJS.Signals) => (signal === 'SIGINT' ? 130 : 143);
  const stop = (signal: NodeJS.Signals) => {
    if (building && signalled === undefined) {
      signalled = signal;
      printLine(process.stderr, `Stopping (${signal}): keeping what this build has read in the build cache (${config.stateDir}/); a second ${signal} ends it at once.`);
      stopBuild.abort();
      return;
    }
    printLine(process.stderr, `Stopped by ${signal}: ${config.feedsDir}/ holds a whole build, the last one or this one if it had finished.`);
    process.exit(signalExitCode(signal));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  let report;
  let lock: FolderLock | undefined;
  try {
    // No server or other run may build into these folders while this one does.
    lock = lockBuildFolders(config, 'npm run build:feeds');
    ({ report } = await buildFeeds({ config, logger, stop: stopBuild.signal }));
  } catch (error) {
    if (error instanceof BuildStopped && signalled) {
      printLine(process.stderr, `Stopped by ${signalled}: ${error.message} ${config.feedsDir}/ holds the last build, unchanged.`);
      return signalExitCode(signalled);
    }
    // A refused or failed build: the message says what happened and what to do.
    const { message, code } = failureSummary(error);
    printLine(process.stderr, `Build failed${code ? ` (${code})` : ''}: ${message}`);
    if (error instanceof DiskWriteError) {
      // The build took back every file it had put in place: the folder holds the last good build.
      printLine(process.stderr, `Nothing was published: ${config.feedsDir}/ holds the last good build, unchanged. Free space or fix the permissions of ${error.file}, then build again.`);
    }
    return 1;
  } finally {
    building = false;
    lock?.release();
  }
  const out = (line: string) => printLine(process.stdout, line);
  const parsed = report.filesParsed < report.filesRead ? ` (${report.filesParsed} parsed; the others as the build cache knew them)` : '';
  out(`Read ${report.filesRead} article file(s) from ${config.contentDir}/ in ${Math.round(report.durationMs)} ms${parsed}.`);
  out(`Published ${report.published} article(s) in ${report.feeds} feed(s): all topics, ${report.topics} topic(s), each provider and category.`);
  if (report.archivePages) {
    const archived = config.site.archives.length === FEED_KINDS.length ? 'every feed' : `each ${config.site.archives.map((kind) => (kind === 'all' ? 'all-topics' : kind)).join(', ')} feed`;
    out(`Wrote ${report.archivePages} archive page(s) (RFC 5005), so every article of ${archived} stays reachable.`);
  }
  const { overBudget } = report;
  if (overBudget?.feeds) {
    out(`Kept ${overBudget.feeds} feed(s) within FEED_MAX_BYTES (${config.site.maxBytes} bytes): ${budgetOutcome(overBudget)}.`);
  }
  if (overBudget?.oversized.length) out(`Published ${overBudget.oversized.length} article(s) alone, each entry over FEED_MAX_BYTES by itself (warned above).`);
  if (report.deleted) out(`Announced ${report.deleted} deleted entr${report.deleted === 1 ? 'y' : 'ies'} (RFC 6721).`);
  if (report.drafts) out(`Left out ${report.drafts} draft(s) (published: false).`);
  if (report.scheduled) out(`Held back ${report.scheduled} article(s) dated in the future (next: ${report.nextScheduled?.toISOString()}).`);
  if (report.problems.length) {
    out(`Skipped ${report.skipped} file(s); ${report.problems.length} problem(s):`);
    for (const problem of report.problems) for (const line of formatProblem(problem, config.contentDir)) out(`  ${line}`);
  }
  out(`Wrote ${report.written.length} file(s) to ${config.feedsDir}/, ${report.unchanged} unchanged, ${report.removed.length} removed.`);
  if (report.written.length <= 200) for (const name of report.written) out(`  ${config.feedsDir}/${name}`);
  else out(`  (${report.written.length} names; the manifest ${config.feedsDir}/${MANIFEST_NAME} lists every file)`);
  if (report.stages) out(`Stages: scan ${report.stages.scanMs} ms, model ${report.stages.modelMs} ms, entries ${report.stages.entriesMs} ms, write ${report.stages.writeMs} ms.`);
  if (signalled) {
    printLine(process.stderr, `Stopped by ${signalled}: the build had finished; ${config.feedsDir}/ holds it.`);
    return signalExitCode(signalled);
  }
  if (config.strict && report.problems.length) {
    printLine(process.stderr, `Strict mode: failing because ${report.problems.length} problem(s) were reported.`);
    return 1;
  }
  return 0;
}

// `npm run build:feeds | head` closes stdout early; that is not an error of the build.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
});
process.exitCode = await main();
