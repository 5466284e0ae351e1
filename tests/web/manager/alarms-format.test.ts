import { describe, expect, it } from 'vitest';
import { csvHref, filtersFrom, KIND_OPTIONS, queryOf } from '../../../web/src/routes/manager/analysis/alarms/alarms-api';
import { alarmsText, countText, duration, sinceText } from '../../../web/src/routes/manager/analysis/alarms/format';

// The alarms screen (M8): its filters survive the address both ways, the CSV link asks for the
// same rows without paging, and the values read as the office expects.

const HOUR = 3_600_000;

describe('alarm filters in the address', () => {
  it('defaults: all meters, any severity and kind, most severe first, page 1, and an empty query', () => {
    const f = filtersFrom(new URLSearchParams(''));
    expect(f).toEqual({ group: null, severity: null, kind: null, sort: 'severity', desc: true, page: 1 });
    expect(queryOf(f)).toBe('');
  });

  it('reads and writes every filter', () => {
    const f = filtersFrom(new URLSearchParams('group=12&severity=warning&kind=leak&sort=time&desc=false&page=3'));
    expect(f).toEqual({ group: 12, severity: 'warning', kind: 'leak', sort: 'time', desc: false, page: 3 });
    expect(queryOf(f)).toBe('?group=12&severity=warning&kind=leak&sort=time&desc=false&page=3');
    expect(filtersFrom(new URLSearchParams('group=ungrouped')).group).toBe('ungrouped');
  });

  it('ignores values the server would refuse instead of sending them', () => {
    const f = filtersFrom(new URLSearchParams('group=x1&severity=urgent&kind=toString&sort=name&page=-2'));
    expect(f).toEqual({ group: null, severity: null, kind: null, sort: 'severity', desc: true, page: 1 });
  });

  it('the CSV link carries the filters and no paging', () => {
    const f = filtersFrom(new URLSearchParams('severity=critical&kind=burst&sort=time&page=4'));
    expect(csvHref(f)).toBe('/api/alarms?severity=critical&kind=burst&sort=time&format=csv');
  });

  it('offers every kind of the taxonomy once, by label', () => {
    expect(KIND_OPTIONS.length).toBe(27);
    expect(KIND_OPTIONS.find((k) => k.kind === 'dry')?.label).toBe('Dry (no water in meter)');
    expect(KIND_OPTIONS.map((k) => k.label)).toEqual([...KIND_OPTIONS.map((k) => k.label)].sort((a, b) => a.localeCompare(b)));
  });
});

describe('alarm values as text', () => {
  const fmt = (t: number) => new Date(t).toISOString().slice(0, 16);
  const t = Date.parse('2026-03-28T10:00:00Z');

  it('since, with "or earlier" when the look-back cut the run', () => {
    expect(sinceText(t, false, fmt)).toBe('2026-03-28T10:00');
    expect(sinceText(t, true, fmt)).toBe('2026-03-28T10:00 or earlier');
  });

  it('how long an alarm has lasted: hours under two days, then whole days', () => {
    expect(duration(t, t + 30 * 60_000)).toBe('under 1 h');
    expect(duration(t, t + 5 * HOUR)).toBe('5 h');
    expect(duration(t, t + 47 * HOUR + 59 * 60_000)).toBe('47 h');
    expect(duration(t, t + 48 * HOUR)).toBe('2 days');
    expect(duration(t, t + 29 * 24 * HOUR + 23 * HOUR)).toBe('29 days');
  });

  it('alarm labels and counts', () => {
    expect(alarmsText([{ label: 'Leak' }, { label: 'Dry (no water in meter)' }])).toBe('Leak, Dry (no water in meter)');
    expect(countText(1, 0, 1)).toBe('1 meter with an alarm');
    expect(countText(12, 0, 12)).toBe('12 meters with alarms');
    expect(countText(1234, 100, 100)).toBe('1,234 meters with alarms; showing 101–200');
  });
});
