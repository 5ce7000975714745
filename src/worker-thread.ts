import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts the worker module `stem` that sits beside `callerUrl` (pass `import.meta.url`). Compiled,
 * that is `<stem>.js`. Under tsx (tests, development) it is `<stem>.ts`, and tsx's loader must be
 * registered inside the worker: loader hooks given with --import do not reach workers.
 */
export function startWorker(callerUrl: string, stem: string, options: WorkerOptions): Worker {
  if (!callerUrl.endsWith('.ts')) return new Worker(new URL(`./${stem}.js`, callerUrl), options);
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const entry = JSON.stringify(new URL(`./${stem}.ts`, callerUrl).href);
  return new Worker(`import(${tsx}).then(({ register }) => { register(); return import(${entry}); })`, { ...options, eval: true });
}
