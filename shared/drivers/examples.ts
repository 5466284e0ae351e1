// Compares a Reading with the values a published source gives for a driver example
// (style.md §7). Returns the differences in words; empty means the example holds.

import type { Alarm } from '../model/alarm.js';
import type { Reading } from '../model/reading.js';
import type { DriverExample, ExpectedAlarm, ExpectedField } from './define.js';

function close(a: number, b: number): boolean {
  return Math.abs(a - b) <= Math.max(1e-9, 1e-6 * Math.abs(b));
}

function show(v: unknown): string {
  return JSON.stringify(v);
}

function fieldDiff(name: string, reading: Reading, want: ExpectedField): string | null {
  const got = reading.fields[name];
  if (want === null) {
    return got !== undefined && got.value === null ? null : `${name}: expected null, got ${show(got)}`;
  }
  if (got === undefined) return `${name}: expected ${show(want)}, field missing`;
  if (typeof want === 'string') {
    return got.value === want ? null : `${name}: expected ${want}, got ${show(got.value)}`;
  }
  if (want.length === 2 && (typeof want[0] === 'number' || want[0] === null) && typeof want[1] === 'string' && got.flags === undefined) {
    const [value, unit] = want as readonly [number | null, string];
    if (got.unit !== unit) return `${name}: expected unit ${unit}, got ${got.unit}`;
    if (value === null) return got.value === null ? null : `${name}: expected null, got ${show(got.value)}`;
    return typeof got.value === 'number' && close(got.value, value)
      ? null
      : `${name}: expected ${value} ${unit}, got ${show(got.value)}`;
  }
  const flags = got.flags ?? [];
  const wanted = want as readonly string[];
  const same = flags.length === wanted.length && wanted.every((f) => flags.includes(f));
  return same ? null : `${name}: expected flags ${show(wanted)}, got ${show(flags)}`;
}

function alarmMatches(a: Alarm, w: ExpectedAlarm): boolean {
  return (
    a.kind === w.kind &&
    (w.active === undefined || a.active === w.active) &&
    (w.where === undefined || a.where === w.where) &&
    (w.detail === undefined || a.detail === w.detail) &&
    (w.duration === undefined || a.duration?.text === w.duration)
  );
}

export function checkExample(reading: Reading, example: DriverExample): string[] {
  const out: string[] = [];
  if (example.id !== undefined && reading.meter.id !== example.id) {
    out.push(`id: expected ${example.id}, got ${reading.meter.id}`);
  }
  for (const [name, want] of Object.entries(example.expect)) {
    const d = fieldDiff(name, reading, want);
    if (d !== null) out.push(d);
  }
  if (example.alarms !== undefined) {
    const left = [...reading.alarms];
    for (const w of example.alarms) {
      const i = left.findIndex((a) => alarmMatches(a, w));
      if (i < 0) out.push(`alarm ${show(w)} missing`);
      else left.splice(i, 1);
    }
    for (const a of left) out.push(`unexpected alarm ${a.kind} (${a.source})`);
  }
  return out;
}
