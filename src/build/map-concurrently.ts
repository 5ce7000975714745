/**
 * `items.map(fn)`, with at most `limit` calls of `fn` pending at once; results in item order.
 * After a call fails no new one starts, and the first failure is thrown.
 */
export async function mapConcurrently<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failed = false;
  const run = async (): Promise<void> => {
    for (let index = next++; index < items.length && !failed; index = next++) {
      try {
        results[index] = await fn(items[index]!);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, run));
  return results;
}
