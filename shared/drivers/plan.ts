// A driver compiled for one record layout. Which record feeds which field depends only on the
// records' DIF/VIF bytes (their meaning, function, storage, tariff and subunit all come from
// them), so it is resolved once per (driver, layout) by planReading; readPlanned then reads a
// telegram of that layout without matching selectors again, and yields exactly the Reading
// applyDriver(input, driver) would. Meters send the same layout telegram after telegram: a
// caller that reads many telegrams (the server's ingest) keeps its plans, checks `fitsLayout`
// (shared with extras.ts) and reads with the plan.

import type { Alarm } from '../model/alarm.js';
import type { DataRecord } from '../model/record.js';
import type { Reading, ReadingField } from '../model/reading.js';
import type { Driver, DriverInput, FieldSpec, FieldsRead } from './define.js';
import { byteFieldValue, computedNumber, evalFormula, fieldValue, selectors } from './define.js';
import { readingOf } from './index.js';
import { matchesSelector } from './select.js';

export { fitsLayout } from './extras.js';

interface PlannedRead {
  name: string;
  spec: FieldSpec;
  /** Index of the record the field takes; -1 for a field read from the manufacturer bytes. */
  index: number;
}

export interface ReadingPlan {
  readonly driver: Driver;
  /** DIF/VIF of every record, in order: the layout the plan was made for. */
  readonly layout: readonly string[];
  /** Fields read from a record or from the manufacturer bytes, in declaration order. */
  readonly reads: readonly PlannedRead[];
  /** Fields computed from others, in declaration order, after the reads. */
  readonly formulas: readonly { name: string; spec: FieldSpec }[];
  /** Inputs of formulas only, removed from the reading at the end. */
  readonly hidden: readonly string[];
  /** DIF/VIF of the records no field claims, in record order. */
  readonly unclaimed: readonly string[];
}

/** The record a selected field takes: the first selector (in order) that finds one, its first record; -1 if none. */
export function selectedRecord(spec: FieldSpec, records: readonly DataRecord[]): number {
  for (const s of selectors(spec)) {
    const index = records.findIndex((r) => matchesSelector(r, s));
    if (index >= 0) return index;
  }
  return -1;
}

/** Resolves, for the layout of `records`, which record feeds which of the driver's fields. */
export function planReading(driver: Driver, records: readonly DataRecord[]): ReadingPlan {
  const reads: PlannedRead[] = [];
  const formulas: { name: string; spec: FieldSpec }[] = [];
  const hidden: string[] = [];
  const claimed = new Set<number>();
  for (const [name, spec] of Object.entries<FieldSpec>(driver.fields)) {
    if (spec.hidden === true) hidden.push(name);
    if (spec.formula !== undefined) formulas.push({ name, spec });
    else if (spec.bytes !== undefined) reads.push({ name, spec, index: -1 });
    else {
      const index = selectedRecord(spec, records);
      if (index < 0) continue;
      claimed.add(index);
      reads.push({ name, spec, index });
    }
  }
  const unclaimed = records.filter((_, i) => !claimed.has(i)).map((r) => r.difvif);
  return { driver, layout: records.map((r) => r.difvif), reads, formulas, hidden, unclaimed };
}

/** readFields (define.ts) for records of the plan's layout (check with fitsLayout first). */
export function readPlannedFields(plan: ReadingPlan, records: readonly DataRecord[], manufacturerBytes?: Uint8Array): FieldsRead {
  const fields: Record<string, ReadingField> = {};
  const alarms: Alarm[] = [];
  for (const p of plan.reads) {
    if (p.index < 0) {
      const field = byteFieldValue(p.spec, manufacturerBytes);
      if (field.value !== null) fields[p.name] = field;
      continue;
    }
    const read = fieldValue(p.spec, records[p.index]!);
    fields[p.name] = read.field;
    for (const a of read.alarms) alarms.push(a);
  }
  for (const { name, spec } of plan.formulas) {
    const v = evalFormula(spec.formula!, fields);
    if (v !== null) fields[name] = computedNumber(spec, v);
  }
  for (const name of plan.hidden) delete fields[name];
  return { fields, alarms, unclaimed: plan.unclaimed.slice() };
}

/** The Reading applyDriver(input, plan.driver) gives, for input records of the plan's layout. */
export function readPlanned(plan: ReadingPlan, input: DriverInput): Reading {
  return readingOf(plan.driver, input, readPlannedFields(plan, input.records, input.manufacturerData?.bytes));
}
