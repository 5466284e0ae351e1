import type { PerformanceRow } from '$server/report/performance';

// How "expected" is counted for a meter, in words (server/src/report/performance.ts).

const MODE: Record<PerformanceRow['readingMode'], string> = {
  'fixed-network': 'Fixed network',
  'point-to-point': 'Point-to-point',
  'drive-by': 'Drive-by',
  optical: 'Optical',
  wired: 'Wired M-Bus'
};

function every(s: number): string {
  if (s % 3600 === 0) return s === 3600 ? 'hour' : `${s / 3600} h`;
  if (s % 60 === 0) return `${s / 60} min`;
  return `${s} s`;
}

export function rule(r: Pick<PerformanceRow, 'readingMode' | 'intervalS' | 'defaultInterval'>): string {
  const mode = MODE[r.readingMode];
  if (r.intervalS !== null) return `${mode}: one every ${every(r.intervalS)}${r.defaultInterval ? ' (default)' : ''}`;
  if (r.readingMode === 'wired') return `${mode}: one a day`;
  return `${mode}: one in the interval`;
}
