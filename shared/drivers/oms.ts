// The generic driver for any meter that speaks plain EN 13757-3 records (OMS): it takes the
// registers by meaning, so it reads heat, water, gas and electricity meters of any make that no
// specific driver claims. The medium of the reading comes from the device type byte.
// Also the TPL status byte (EN 13757-3, protocols.md §2.4) → alarms, applied to every driver.

import type { Alarm } from '../model/alarm.js';
import { makeAlarm } from '../model/alarm.js';
import type { StatusTable } from './define.js';
import { defineDriver } from './define.js';

/**
 * Standard error flags (`FD 17`): their bits are manufacturer-defined, so a non-zero word becomes
 * one 'abnormal-condition' alarm that quotes it (our judgment).
 */
const errorFlags: StatusTable = {
  name: 'EN 13757-3 error flags (VIF FD 17)',
  decode(value) {
    if (value === 0) return { flags: [], alarms: [] };
    const hex = value.toString(16).toUpperCase().padStart(4, '0');
    return {
      flags: [`0x${hex}`],
      alarms: [makeAlarm('abnormal-condition', 'error flags (FD 17)', { detail: `error flags 0x${hex}` })],
    };
  },
};

export const oms = defineDriver({
  id: 'oms',
  name: 'Any OMS / EN 13757-3 meter',
  medium: 'other',
  match: [],
  primary: ['energy', 'volume', 'hca'],
  fields: {
    energy: { quantity: 'energy', select: { vif: 'energy' }, label: 'Energy' },
    energyExport: { quantity: 'energy', select: { vif: 'energy', direction: 'backward' }, label: 'Energy, backward' },
    volume: { quantity: 'volume', select: { vif: 'volume' }, label: 'Volume' },
    hca: { quantity: 'hca', select: { vif: 'hca' }, label: 'Heat cost allocator units' },
    power: { quantity: 'power', select: { vif: 'power' }, label: 'Power' },
    maxPower: { quantity: 'power', select: { vif: 'power', fn: 'maximum' }, label: 'Maximum power' },
    flow: { quantity: 'flow', select: { vif: 'volume-flow' }, label: 'Flow' },
    maxFlow: { quantity: 'flow', select: { vif: 'volume-flow', fn: 'maximum' }, label: 'Maximum flow' },
    flowTemperature: { quantity: 'temperature', select: { vif: 'flow-temperature' }, label: 'Flow temperature' },
    returnTemperature: { quantity: 'temperature', select: { vif: 'return-temperature' }, label: 'Return temperature' },
    temperatureDifference: {
      quantity: 'temperature-difference',
      select: { vif: 'temperature-difference' },
      label: 'Temperature difference',
    },
    externalTemperature: { quantity: 'temperature', select: { vif: 'external-temperature' }, label: 'External temperature' },
    pressure: { quantity: 'pressure', select: { vif: 'pressure' }, label: 'Pressure' },
    meterDate: { quantity: 'date', select: { vif: 'time-point' }, label: 'Meter date' },
    targetDate: { quantity: 'date', select: { vif: 'time-point', storage: 1 }, label: 'Target date' },
    targetEnergy: { quantity: 'energy', select: { vif: 'energy', storage: 1 }, label: 'Energy at target date' },
    targetVolume: { quantity: 'volume', select: { vif: 'volume', storage: 1 }, label: 'Volume at target date' },
    targetHca: { quantity: 'hca', select: { vif: 'hca', storage: 1 }, label: 'HCA units at target date' },
    onTime: { quantity: 'duration', select: { vif: 'on-time' }, label: 'On time' },
    operatingTime: { quantity: 'duration', select: { vif: 'operating-time' }, label: 'Operating time' },
    voltage: { quantity: 'voltage', select: { vif: 'voltage' }, label: 'Voltage' },
    current: { quantity: 'current', select: { vif: 'current' }, label: 'Current' },
    fabricationNumber: { quantity: 'text', select: { vif: 'fabrication-number' }, label: 'Fabrication number' },
    errorFlags: { quantity: 'flags', select: { vif: 'error-flags' }, status: errorFlags, label: 'Error flags' },
  },
  examples: [
    {
      note: 'EFE heat meter, format B, AFL, security mode 7',
      source: 'protocols.md TV-2 (wmbusmeters tests/test_frame_b_trim.sh)',
      hex:
        'C244C5140443054300048C200E900F002C25895E02003B0877D31DA840B17A0E009007100F8FAD4C4E61400DA4F3B1F7E273CC4C5C07F93C' +
        'D20B237345DB39F9A98F8415E1C4B7A25C86E4C22D05C3352FA7E2E5627031F14643063F1DC8FE2C32459B6F02E4234B447B18E4BFDA8C4D' +
        'A9B1EDE6CF29D0B2122A3E8B9DEEBEE3E6DBE6617B4E709EC6B595179CB01C2C0BDE6723A345B708652880C114A58DA07C73AD9EB8ACB17F' +
        'A0A88F19BC84CB1FC56672DE8A9603FD0C05010002FD0B2111F60B',
      key: '622b9656991ff0c1574c0950cf9278d1',
      id: '43054304',
      expect: { energy: [9341, 'kWh'], volume: [1348.631, 'm3'] },
    },
    {
      note: 'Sensus water meter inside an iU891A RX indication (frame without its CRC)',
      source: 'protocols.md TV-12 (wmbusmeters src/wmbus_iu891a.cc)',
      hex: '1844AE4C4455223368077A55000000041389E20100023B0000',
      id: '33225544',
      expect: { volume: [123.529, 'm3'], flow: [0, 'm3/h'] },
      alarms: [],
    },
  ],
});

/**
 * Alarms of the TPL status byte, EN 13757-3 as described in protocols.md §2.4 (wmbusmeters
 * decodeTPLStatusByteOnlyStandardBits): bits 0-1 application state (01 busy, 10 error,
 * 11 alarm / abnormal condition), 0x04 power low, 0x08 permanent error, 0x10 temporary error.
 * Bits 5-7 are manufacturer-specific and not mapped. "Power low" → low-battery is our judgment.
 */
export function tplStatusAlarms(status: number | null | undefined): Alarm[] {
  if (status === null || status === undefined || status === 0) return [];
  const out: Alarm[] = [];
  const hex = (v: number): string => `0x${v.toString(16).padStart(2, '0').toUpperCase()}`;
  const app = status & 0x03;
  const source = `TPL status ${hex(status)}`;
  if (app === 1) out.push(makeAlarm('application-busy', source));
  if (app === 2) out.push(makeAlarm('application-error', source));
  if (app === 3) out.push(makeAlarm('abnormal-condition', source, { detail: 'alarm / abnormal condition' }));
  if (status & 0x04) out.push(makeAlarm('low-battery', source, { detail: 'power low' }));
  if (status & 0x08) out.push(makeAlarm('permanent-error', source));
  if (status & 0x10) out.push(makeAlarm('temporary-error', source));
  return out;
}
