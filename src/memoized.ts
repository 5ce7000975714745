/**
 * A pure function of a string, answered from a small table of its last results: for values that
 * come again and again (clients' Accept and Accept-Encoding headers; the providers' domains of
 * a publisher's articles), where computing is the costly part. At most `limit` results are
 * kept (the table is emptied when full, so it never grows with its input); an undefined result
 * is not kept.
 */
export function memoized<T>(compute: (value: string) => T, limit = 256): (value: string) => T {
  const results = new Map<string, T>();
  return (value) => {
    let result = results.get(value);
    if (result === undefined) {
      result = compute(value);
      if (results.size >= limit) results.clear();
      if (result !== undefined) results.set(value, result);
    }
    return result;
  };
}
