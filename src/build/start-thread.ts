import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * The young generation of a thread that builds (the build worker, the parse threads): large
 * enough for a build's short-lived objects, as `--max-semi-space-size=64` gives the CLI (V8's
 * young generation is three semi-spaces). At 100k articles that halves the garbage-collection
 * work of a build. Never for the thread answering requests: with a young generation this large
 * its scavenges paused it for 30-40 ms under load.
 */
export const BUILD_YOUNG_GENERATION_MB = 192;

/**
 * Starts the worker module `stem` that sits beside `callerUrl` (pass `import.meta.url`). Compiled,
 * that is `<stem>.js`. Under tsx (tests, development) it is `<stem>.ts`, and tsx's loader must be
 * registered inside the worker: loader hooks given with --import do not reach workers.
 */
export function startThread(callerUrl: string, stem: string, options: WorkerOptions): Worker {
  if (!callerUrl.endsWith('.ts')) return new Worker(new URL(`./${stem}.js`, callerUrl), options);
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const entry = JSON.stringify(new URL(`./${stem}.ts`, callerUrl).href);
  return new Worker(`import(${tsx}).then(({ register }) => { register(); return import(${entry}); })`, { ...options, eval: true });
}
