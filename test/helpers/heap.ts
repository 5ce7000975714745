import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** V8's full collection, made available to this process (as `--expose-gc` would). */
export function fullCollection(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** How much the heap grew over `make`, after a full collection on either side, and what `make` gave (kept alive meanwhile). */
export function heapGrowth<T>(make: () => T): { readonly grown: number; readonly made: T } {
  const collect = fullCollection();
  collect();
  const before = process.memoryUsage().heapUsed;
  const made = make();
  collect();
  return { grown: process.memoryUsage().heapUsed - before, made };
}
