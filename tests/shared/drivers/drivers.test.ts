// applyDriver on hand-built record lists. Values are those protocols.md gives for the telegrams
// the records come from (TV-4, TV-8, TV-9, §3.8), written in the units a decoder may choose.
import { describe, expect, it } from 'vitest';
import { ALL_DRIVERS, DRIVERS, applyDriver, driverById, driverTable, findDriver } from '../../../shared/drivers/index.js';
import { tplStatusAlarms } from '../../../shared/drivers/oms.js';
import type { MeterAddress } from '../../../shared/model/address.js';
import { rec } from './records.js';

const addr = (manufacturer: string, version: number, deviceType: number, id = '12345678'): MeterAddress => ({
  manufacturer, id, version, deviceType,
});

describe('findDriver (protocols.md §4.1)', () => {
  it.each([
    ['KAM', 0x1b, 0x16, 'kamstrup-multical21'],
    ['KAM', 0x1b, 0x06, 'kamstrup-multical21'],
    ['KAW', 0x3a, 0x16, 'kamstrup-flowiq2200'],
    ['KAW', 0x3c, 0x16, 'kamstrup-flowiq2200'],
    ['KAM', 0x1d, 0x16, 'kamstrup-flowiq2200'],
    ['KAW', 0x42, 0x06, 'kamstrup-flowiq2200'],
    ['KAM', 0x30, 0x04, 'kamstrup-multical302'],
    ['KAM', 0x30, 0x0c, 'kamstrup-multical302'],
    ['KAM', 0x40, 0x04, 'kamstrup-multical303'],
    ['KAM', 0x19, 0x04, 'kamstrup-multical402'],
    ['KAM', 0x34, 0x0a, 'kamstrup-multical403'],
    ['KAM', 0x1c, 0x04, 'kamstrup-multical602'],
    ['KAM', 0x35, 0x0c, 'kamstrup-multical603'],
    ['KAM', 0x39, 0x04, 'kamstrup-multical803'],
    ['KAM', 0x30, 0x02, 'kamstrup-omnipower'], // VER 30 is also the MULTICAL 302: the type decides
    ['KAM', 0x01, 0x18, 'kamstrup-pressure'],
  ])('%s %i %i → %s', (m, v, t, id) => {
    expect(findDriver(addr(m, v, t)).id).toBe(id);
  });

  it('a meter of an unknown manufacturer gets the generic OMS driver', () => {
    expect(findDriver(addr('SEN', 0x68, 0x07)).id).toBe('oms');
    expect(findDriver(addr('EFE', 0x00, 0x04)).id).toBe('oms');
  });

  it('a Kamstrup meter with an undeclared (version, type) also falls back to OMS', () => {
    expect(findDriver(addr('KAM', 0x99, 0x04)).id).toBe('oms');
    expect(findDriver(addr('KAM', 0x1b, 0x04)).id).toBe('oms');
  });

  it('no two drivers claim the same meter', () => {
    const seen = new Map<string, string>();
    for (const d of DRIVERS) {
      for (const m of d.match) {
        for (const v of [m.version ?? []].flat()) {
          for (const t of [m.type ?? []].flat()) {
            const key = `${m.mfct}/${v}/${t}`;
            expect(seen.get(key), key).toBeUndefined();
            seen.set(key, d.id);
          }
        }
      }
    }
  });

  it('lists the meters table from the registry', () => {
    const rows = driverTable();
    expect(rows.find((r) => r.id === 'kamstrup-multical21')?.meters).toEqual(['KAM 1B 06/16']);
    expect(rows.find((r) => r.id === 'kamstrup-flowiq2200')?.meters).toEqual(['KAW 3A/3C 16', 'KAM 1D 16', 'KAW 42 06/16']);
    expect(rows.at(-1)).toMatchObject({ id: 'oms', meters: ['any'] });
  });

  it('finds drivers by id or alias', () => {
    expect(driverById('flowiq2200')?.id).toBe('kamstrup-flowiq2200');
    expect(driverById('multical403')?.id).toBe('kamstrup-multical403');
    expect(driverById('kampress')?.id).toBe('kamstrup-pressure');
    expect(driverById('nope')).toBeUndefined();
    const ids = ALL_DRIVERS.flatMap((d) => [d.id, ...(d.aliases ?? [])]);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('MULTICAL 21 (TV-4 records)', () => {
  const records = [
    rec('02FF20', 0x0071, ''),
    rec('0413', 6408, 'l'),
    rec('4413', 6408, 'l'),
    rec('615B', 127, '°C'),
    rec('6167', 19, '°C'),
  ];
  const r = applyDriver({ address: addr('KAM', 0x1b, 0x16, '76348799'), records, status: null });

  it('reads the registers', () => {
    expect(r.driver).toBe('kamstrup-multical21');
    expect(r.meter).toEqual({ manufacturer: 'KAM', id: '76348799', version: 0x1b, deviceType: 0x16, medium: 'water' });
    expect(r.primary).toBe('total');
    expect(r.fields).toEqual({
      total: { value: 6.408, unit: 'm3' },
      target: { value: 6.408, unit: 'm3' },
      minFlowTemperature: { value: null, unit: '°C' }, // 127 = not available (§4.3)
      minExternalTemperature: { value: 19, unit: '°C' },
      status: { value: 0x71, unit: '', flags: ['dry'] },
    });
    expect(r.unclaimed).toEqual([]);
  });

  it('reports DRY now, 22-31 days', () => {
    expect(r.alarms).toEqual([
      {
        kind: 'dry', severity: 'warning', label: 'Dry (no water in meter)', active: true,
        duration: { minHours: 528, maxHours: 744, text: '22-31 days' },
        source: 'KAM info code bit 0, bits 4-6 = 7',
      },
    ]);
  });
});

describe('MULTICAL 403 (TV-8 long frame records)', () => {
  const r = applyDriver({
    address: addr('KAM', 0x34, 0x0c, '71054899'),
    records: [
      rec('0406', 32175, 'kWh'),
      rec('04FF07', 153189, ''),
      rec('04FF08', 124887, ''),
      rec('0414', 3591.16, 'm3'),
      rec('043B', 0, 'l/h'),
      rec('0259', 32.15, '°C'),
      rec('025D', 34.74, '°C'),
      rec('04FF22', 0, ''),
      rec('026C', '2022-01-31', 'date'),
      rec('4406', 32175000, 'Wh'),
      rec('4414', 3591160, 'l'),
      rec('426C', '2022-01-01', 'date'),
    ],
  });

  it('reads every register by meaning', () => {
    expect(r.meter.medium).toBe('heat');
    expect(r.fields).toEqual({
      energy: { value: 32175, unit: 'kWh' },
      volume: { value: 3591.16, unit: 'm3' },
      flow: { value: 0, unit: 'm3/h' },
      flowTemperature: { value: 32.15, unit: '°C' },
      returnTemperature: { value: 34.74, unit: '°C' },
      forwardEnergy: { value: 153189, unit: 'm3·°C' },
      returnEnergy: { value: 124887, unit: 'm3·°C' },
      meterDate: { value: '2022-01-31', unit: 'date' },
      targetDate: { value: '2022-01-01', unit: 'date' },
      targetEnergy: { value: 32175, unit: 'kWh' },
      targetVolume: { value: 3591.16, unit: 'm3' },
      status: { value: 0, unit: '', flags: [] },
    });
    expect(r.alarms).toEqual([]);
  });
});

describe('MULTICAL 403 cooling and 803 inputs (TV-8)', () => {
  it('cooling meter: energy in MJ → kWh, negative max power, medium cooling', () => {
    const r = applyDriver({
      address: addr('KAM', 0x34, 0x0a),
      records: [rec('040E', 2605e6, 'J'), rec('142D', -2500, 'W'), rec('84100E', 0, 'J'), rec('844014', 0, 'm3')],
    });
    expect(r.meter.medium).toBe('cooling');
    expect(r.fields.energy).toEqual({ value: 723.611111111, unit: 'kWh' });
    expect(r.fields.maxPower).toEqual({ value: -2.5, unit: 'kW' });
    expect(r.fields.tariff2Energy).toEqual({ value: 0, unit: 'kWh' });
    expect(r.fields.inputA).toEqual({ value: 0, unit: 'm3' });
    expect(r.fields.power).toBeUndefined(); // the maximum is not the actual power
  });

  it('E3 cooling energy (VIFE 3C) is not E1', () => {
    const r = applyDriver({ address: addr('KAM', 0x34, 0x0d), records: [rec('04863C', 12, 'kWh'), rec('0406', 34, 'kWh')] });
    expect(r.fields.energy).toEqual({ value: 34, unit: 'kWh' });
    expect(r.fields.cooling).toEqual({ value: 12, unit: 'kWh' });
  });

  it('803 info 0x00010060 → two sensor errors and a V1 communication error, critical first', () => {
    const r = applyDriver({ address: addr('KAM', 0x39, 0x04), records: [rec('04FF22', 0x00010060, '')] });
    expect(r.alarms.map((a) => [a.kind, a.where, a.detail, a.severity])).toEqual([
      ['sensor-error', 't1', 'short', 'critical'],
      ['sensor-error', 't2', 'short', 'critical'],
      ['hardware-error', 'V1', 'communication error', 'critical'],
    ]);
  });
});

describe('MULTICAL 302 (TV-8)', () => {
  it('keeps the undocumented 8-bit info code raw and a FF FF target date as null', () => {
    const r = applyDriver({
      address: addr('KAM', 0x30, 0x04, '67947613'),
      records: [rec('0306', 398, 'kWh'), rec('426C', '', 'date'), rec('022D', 0.1, 'kW'), rec('01FF21', 0, '')],
    });
    expect(r.fields).toEqual({
      energy: { value: 398, unit: 'kWh' },
      power: { value: 0.1, unit: 'kW' },
      targetDate: { value: null, unit: 'date' },
      infoCode: { value: 0, unit: '' },
    });
  });
});

describe('OMNIPOWER (TV-9 records)', () => {
  it('reads A+, A−, P+, P−', () => {
    const r = applyDriver({
      address: addr('KAM', 0x30, 0x02, '32666857'),
      records: [rec('0404', 7940, 'Wh'), rec('04843C', 0, 'Wh'), rec('042B', 3, 'W'), rec('04AB3C', 0, 'W')],
    });
    expect(r.driver).toBe('kamstrup-omnipower');
    expect(r.meter.medium).toBe('electricity');
    expect(r.fields).toEqual({
      energy: { value: 7.94, unit: 'kWh' },
      energyExport: { value: 0, unit: 'kWh' },
      power: { value: 0.003, unit: 'kW' },
      powerExport: { value: 0, unit: 'kW' },
    });
  });
});

describe('generic OMS driver', () => {
  it('reads a heat meter of another make by meaning (§3.8 values) and names its primary register', () => {
    const r = applyDriver({
      address: addr('ABC', 1, 0x04),
      records: [
        rec('0406', 34510, 'kWh'),
        rec('0414', 2232.49, 'm3'),
        rec('043B', 527, 'l/h'),
        rec('0259', 64.6, '°C'),
        rec('025D', 45.16, '°C'),
        rec('04A5FF21', 2609351, 'min'),
      ],
      status: 0,
    });
    expect(r.driver).toBe('oms');
    expect(r.meter.medium).toBe('heat');
    expect(r.primary).toBe('energy');
    expect(r.fields).toMatchObject({
      energy: { value: 34510, unit: 'kWh' },
      volume: { value: 2232.49, unit: 'm3' },
      flow: { value: 0.527, unit: 'm3/h' },
      flowTemperature: { value: 64.6, unit: '°C' },
      returnTemperature: { value: 45.16, unit: '°C' },
    });
    expect(r.fields.operatingTime?.value).toBeCloseTo(43489.183333, 5);
    expect(r.alarms).toEqual([]);
  });

  it('a water meter: volume is primary, medium from the device type', () => {
    const r = applyDriver({ address: addr('SEN', 0x68, 0x07), records: [rec('0413', 123.529, 'm3'), rec('023B', 0, 'm3/h')] });
    expect(r.primary).toBe('volume');
    expect(r.meter.medium).toBe('water');
  });

  it('non-zero standard error flags become an abnormal-condition alarm quoting them', () => {
    const r = applyDriver({ address: addr('ABC', 1, 0x07), records: [rec('02FD17', 8, '')] });
    expect(r.alarms).toEqual([expect.objectContaining({ kind: 'abnormal-condition', detail: 'error flags 0x0008' })]);
  });
});

describe('TPL status byte (protocols.md §2.4)', () => {
  it('permanent error yields a critical alarm, for any driver', () => {
    const r = applyDriver({ address: addr('KAM', 0x1b, 0x16), records: [], status: 0x08 });
    expect(r.alarms).toEqual([
      { kind: 'permanent-error', severity: 'critical', label: 'Permanent error', active: true, source: 'TPL status 0x08' },
    ]);
    const o = applyDriver({ address: addr('XYZ', 1, 0x07), records: [], status: 0x08 });
    expect(o.alarms.map((a) => a.kind)).toEqual(['permanent-error']);
  });

  it.each([
    [0x00, []],
    [0x01, ['application-busy']],
    [0x02, ['application-error']],
    [0x03, ['abnormal-condition']],
    [0x04, ['low-battery']],
    [0x10, ['temporary-error']],
    [0x1c, ['low-battery', 'permanent-error', 'temporary-error']],
    [0xe0, []], // bits 5-7 manufacturer-specific: not mapped
  ])('status %i → %j', (status, kinds) => {
    expect(tplStatusAlarms(status).map((a) => a.kind)).toEqual(kinds);
  });

  it('no TPL header, no status alarms', () => {
    expect(tplStatusAlarms(null)).toEqual([]);
    expect(tplStatusAlarms(undefined)).toEqual([]);
  });

  it('sorts critical before warning before info', () => {
    const r = applyDriver({ address: addr('KAW', 0x3a, 0x16), records: [rec('04FF23', 0x228, '')], status: 0x01 });
    expect(r.alarms.map((a) => [a.kind, a.severity])).toEqual([
      ['burst', 'critical'],
      ['low-battery', 'warning'],
      ['no-consumption', 'info'],
      ['application-busy', 'info'],
    ]);
  });
});
