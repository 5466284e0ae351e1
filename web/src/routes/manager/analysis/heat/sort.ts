// Sorting of report rows by one column, in the browser (the server sends every row of the scope).

export type Direction = 'ascending' | 'descending';

/** Rows sorted by `key` (nulls last in both directions), ties by meter id. */
export function sortRows<T extends { meterId: number }>(rows: readonly T[], key: keyof T, dir: Direction): T[] {
  const sign = dir === 'ascending' ? 1 : -1;
  return [...rows].sort((a, b) => {
    const x = a[key] as unknown;
    const y = b[key] as unknown;
    if (x === null && y === null) return a.meterId - b.meterId;
    if (x === null) return 1;
    if (y === null) return -1;
    const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
    return c * sign || a.meterId - b.meterId;
  });
}

/** Rows shown at most; the CSV has them all. */
export const SHOWN = 1000;
