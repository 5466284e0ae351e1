// Every bit protocols.md §4.5 lists, mapped to its alarm kind (and sensor, fault, channel).
import { describe, expect, it } from 'vitest';
import {
  kamstrupHeatInfo16,
  kamstrupHeatInfo32,
  kamstrupHeatInfoNarrow,
  kamstrupPressureFlags,
  kamstrupWaterInfo16,
  kamstrupWaterInfo32,
} from '../../../shared/drivers/kamstrup/info-codes.js';
import type { Alarm } from '../../../shared/model/alarm.js';

function only(alarms: Alarm[]) {
  expect(alarms).toHaveLength(1);
  const { kind, where, detail, active, source } = alarms[0]!;
  return { kind, where, detail, active, source };
}

// §4.5.1 MULTICAL 403 (and 303/603 low 16 bits).
const HEAT_LOW: [number, string, string?, string?][] = [
  [0, 'supply-voltage'],
  [1, 'low-battery'],
  [2, 'external-alarm'],
  [3, 'sensor-error', 't1', 'open'],
  [4, 'sensor-error', 't2', 'open'],
  [5, 'sensor-error', 't1', 'short'],
  [6, 'sensor-error', 't2', 'short'],
  [7, 'temperature-difference'],
  [8, 'air', 'V1'],
  [9, 'reverse-flow', 'V1'],
  [11, 'flow-over-limit', 'V1'],
  [12, 'leak', 'input A'],
  [13, 'leak', 'input B'],
  [14, 'external-alarm', 'input A'],
  [15, 'external-alarm', 'input B'],
];

// §4.5.1 MULTICAL 803 bits 16-31.
const HEAT_HIGH: [number, string, string?, string?][] = [
  [16, 'hardware-error', 'V1'],
  [17, 'configuration-error', 'V1'],
  [18, 'leak', 'input A2'],
  [19, 'leak', 'input B2'],
  [20, 'sensor-error', 't3', 'open'],
  [21, 'sensor-error', 't3', 'short'],
  [22, 'hardware-error', 'V2'],
  [23, 'configuration-error', 'V2'],
  [24, 'air', 'V2'],
  [25, 'reverse-flow', 'V2'],
  [27, 'flow-over-limit', 'V2'],
  [28, 'burst', 'V1/V2', 'water loss'],
  [29, 'burst', 'V1/V2', 'water penetration'],
  [30, 'leak', 'V1/V2', 'water loss'],
  [31, 'leak', 'V1/V2', 'water penetration'],
];

describe('Kamstrup heat meter info code (§4.5.1)', () => {
  it.each([...HEAT_LOW, ...HEAT_HIGH])('32-bit bit %i → %s %s %s', (bit, kind, where, detail) => {
    const a = only(kamstrupHeatInfo32.decode(2 ** bit).alarms);
    expect(a).toMatchObject({ kind, source: `KAM info code bit ${bit}` });
    if (where !== undefined) expect(a.where).toBe(where);
    if (detail !== undefined) expect(a.detail).toBe(detail);
  });

  it.each(HEAT_LOW)('16-bit (303/403/603) bit %i → %s', (bit, kind) => {
    expect(only(kamstrupHeatInfo16.decode(2 ** bit).alarms).kind).toBe(kind);
  });

  it('supply interruption is logged, not a current state', () => {
    expect(only(kamstrupHeatInfo32.decode(1).alarms).active).toBe(false);
    expect(only(kamstrupHeatInfo32.decode(2).alarms).active).toBe(true);
  });

  it('reserved bits 10 and 26, and 803-only bits on a 403, come out as unknown', () => {
    expect(only(kamstrupHeatInfo32.decode(1 << 10).alarms).kind).toBe('unknown');
    expect(only(kamstrupHeatInfo32.decode(2 ** 26).alarms).kind).toBe('unknown');
    expect(only(kamstrupHeatInfo16.decode(2 ** 16).alarms).kind).toBe('unknown');
  });

  it('TV-8 MULTICAL 803 info 0x00010060: t1 below, t2 below, V1 communication error', () => {
    const d = kamstrupHeatInfo32.decode(0x00010060);
    expect(d.flags).toEqual(['t1 below range', 't2 below range', 'V1 communication error']);
    expect(d.alarms.map((a) => [a.kind, a.where, a.detail])).toEqual([
      ['sensor-error', 't1', 'short'],
      ['sensor-error', 't2', 'short'],
      ['hardware-error', 'V1', 'communication error'],
    ]);
  });

  it('zero is OK', () => {
    expect(kamstrupHeatInfo32.decode(0)).toEqual({ flags: [], alarms: [] });
  });
});

// §4.5.1 MULTICAL 602/402 narrow layout, by value.
const NARROW: [number, string, string?, string?][] = [
  [1, 'supply-voltage'],
  [8, 'sensor-error', 't1', 'out-of-range'],
  [4, 'sensor-error', 't2', 'out-of-range'],
  [32, 'sensor-error', 't3', 'out-of-range'],
  [64, 'leak', 'cold-water system'],
  [256, 'leak', 'heating system'],
  [512, 'burst', 'heating system'],
  [16, 'hardware-error', 'V1'],
  [1024, 'hardware-error', 'V2'],
  [2048, 'configuration-error', 'V1'],
  [128, 'configuration-error', 'V2'],
  [4096, 'air', 'V1'],
  [8192, 'air', 'V2'],
  [16384, 'reverse-flow', 'V1'],
  [32768, 'reverse-flow', 'V2'],
];

describe('Kamstrup MULTICAL 602/402 narrow info code (§4.5.1)', () => {
  it.each(NARROW)('value %i → %s %s %s', (value, kind, where, detail) => {
    const a = only(kamstrupHeatInfoNarrow.decode(value).alarms);
    expect(a.kind).toBe(kind);
    if (where !== undefined) expect(a.where).toBe(where);
    if (detail !== undefined) expect(a.detail).toBe(detail);
  });

  it('value 2 is not listed by the source: unknown', () => {
    expect(only(kamstrupHeatInfoNarrow.decode(2).alarms).kind).toBe('unknown');
  });
});

describe('MULTICAL 21 info code 02 FF 20 (§4.5.2)', () => {
  const conditions = [
    ['dry', 0, 4],
    ['reverse-flow', 1, 7],
    ['leak', 2, 10],
    ['burst', 3, 13],
  ] as const;

  it.each(conditions)('%s: bit %i active now, no duration', (kind, bit) => {
    const a = kamstrupWaterInfo16.decode(1 << bit).alarms;
    expect(a).toHaveLength(1);
    expect(a[0]).toMatchObject({ kind, active: true, source: `KAM info code bit ${bit}` });
    expect(a[0]!.duration).toBeUndefined();
  });

  const durations = [
    [1, 1, 8, '1-8 hours'],
    [2, 9, 24, '9-24 hours'],
    [3, 48, 72, '2-3 days'],
    [4, 96, 168, '4-7 days'],
    [5, 192, 336, '8-14 days'],
    [6, 360, 504, '15-21 days'],
    [7, 528, 744, '22-31 days'],
  ] as const;

  for (const [kind, bit, shift] of conditions) {
    it.each(durations)(`${kind}: duration code %i → %i-%i h, seen in the last 30 days`, (code, minHours, maxHours, text) => {
      const a = kamstrupWaterInfo16.decode(code << shift).alarms;
      expect(a).toHaveLength(1);
      expect(a[0]).toMatchObject({ kind, active: false, seenWithinDays: 30, duration: { minHours, maxHours, text } });
      expect(a[0]!.source).toBe(`KAM info code bit ${bit}, bits ${shift}-${shift + 2} = ${code}`);
    });
  }

  it('TV-4 71 00: dry now, dry for 22-31 days', () => {
    const d = kamstrupWaterInfo16.decode(0x0071);
    expect(d.flags).toEqual(['dry']);
    expect(d.alarms).toEqual([
      expect.objectContaining({ kind: 'dry', active: true, duration: { minHours: 528, maxHours: 744, text: '22-31 days' } }),
    ]);
  });

  it('several conditions at once', () => {
    // leak active with 1-8 h, burst seen 4-7 days ago
    const d = kamstrupWaterInfo16.decode((1 << 2) | (1 << 10) | (4 << 13));
    expect(d.flags).toEqual(['leak']);
    expect(d.alarms.map((a) => [a.kind, a.active, a.duration?.text])).toEqual([
      ['leak', true, '1-8 hours'],
      ['burst', false, '4-7 days'],
    ]);
  });
});

describe('flowIQ 2200 / KWM info code 04 FF 23 (§4.5.2)', () => {
  it.each([
    [0, 'dry'],
    [1, 'reverse-flow'],
    [2, 'leak'],
    [3, 'burst'],
    [4, 'tamper'],
    [5, 'low-battery'],
    [6, 'low-ambient-temperature'],
    [7, 'flow-over-limit'],
    [9, 'no-consumption'],
    [8, 'unknown'],
    [11, 'unknown'],
  ])('bit %i → %s', (bit, kind) => {
    expect(only(kamstrupWaterInfo32.decode(2 ** bit).alarms)).toMatchObject({ kind, active: true });
  });
});

describe('Kamstrup pressure sensor flags 02 FD 17 (kampress.xmq)', () => {
  it.each([
    [0, 'pressure-drop'],
    [1, 'pressure-surge'],
    [2, 'pressure-high'],
    [3, 'pressure-low'],
    [4, 'pressure-unstable'],
    [5, 'hardware-error'],
  ])('bit %i → %s', (bit, kind) => {
    expect(only(kamstrupPressureFlags.decode(2 ** bit).alarms).kind).toBe(kind);
  });
});
