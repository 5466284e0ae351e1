import { describe, expect, it } from 'vitest';
import { meterKeyOf } from '../../../web/src/lib/db/index';
import { progressOf, toRouteRow } from '../../../web/src/lib/db/route';

describe('route', () => {
  it('keys a meter by manufacturer and serial', () => {
    expect(meterKeyOf({ manufacturer: 'kam', id: '76348799' })).toBe('KAM-76348799');
    const row = toRouteRow({ id: 7, manufacturer: 'KAM', serial: '76348799', position: null, group: 'North', make: 'MULTICAL 21' });
    expect(row).toMatchObject({ meterKey: 'KAM-76348799', readAt: null, frameId: null });
  });

  it('counts read and total, overall and per group', () => {
    const p = progressOf([
      { group: 'A', readAt: 1 },
      { group: 'A', readAt: null },
      { group: 'B', readAt: 5 },
      { group: 'B', readAt: 6 },
      { group: 'C', readAt: null }
    ]);
    expect(p).toEqual({ read: 3, total: 5, groups: { A: { read: 1, total: 2 }, B: { read: 2, total: 2 }, C: { read: 0, total: 1 } } });
    expect(progressOf([])).toEqual({ read: 0, total: 0, groups: {} });
  });
});
