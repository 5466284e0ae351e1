// The values a driver adds to a telegram's records: fields computed by a formula, read without
// the VIF's scale, read from manufacturer bytes, or given a unit the record does not carry
// (Kamstrup m³·°C). A consumer that prints records (the decoder contract's CLI) appends them
// after the frame's own records.
//
// Planning (which record each field takes, which fields add something) is done once per record
// layout; the caller keeps the plan per meter and checks `fitsLayout` on every telegram, so a
// telegram costs one array comparison and the few fields that add values.

import type { DataRecord } from '../model/record.js';
import type { ReadingField, Unit } from '../model/reading.js';
import type { Driver, FieldSpec } from './define.js';
import { byteFieldValue, evalFormula, fieldValue, selectors } from './define.js';
import { convertUnit, matchesSelector } from './select.js';

export interface ExtraValue {
  /** Field name in the driver. */
  name: string;
  label: string;
  value: number;
  unit: Unit;
  /** The record the value was read from, if one. */
  from?: DataRecord;
}

interface PlannedField {
  name: string;
  spec: FieldSpec;
  /** Index of the record the field takes; -1 for formula and byte fields. */
  index: number;
  emit: boolean;
}

export interface ExtrasPlan {
  readonly driver: Driver;
  /** DIF/VIF of every record, in order: the layout the plan was made for. */
  readonly layout: readonly string[];
  /** Fields needed to compute the emitted ones (formula inputs first), in declaration order. */
  readonly fields: readonly PlannedField[];
  /** False when the driver adds nothing to this layout: the caller can skip it. */
  readonly adds: boolean;
}

const TEXT_LIKE = new Set(['flags', 'date', 'text']);

/** Whether a value read this way differs from what the record itself says (unit or number). */
function addsValue(f: FieldSpec, r: DataRecord | undefined): boolean {
  if (TEXT_LIKE.has(f.quantity) || f.hidden === true) return false;
  if (f.formula !== undefined || f.bytes !== undefined) return true;
  if (r === undefined) return false;
  if (f.scaling !== undefined || f.factor !== undefined) return true;
  if (f.unit === undefined) return false;
  const unit = f.unit === 'm3·°C' ? 'm3C' : f.unit;
  if (unit === r.unit) return false;
  // Same dimension: the record already says it (the consumer converts units).
  return typeof r.value !== 'number' || convertUnit(r.value, r.unit, f.unit) === null;
}

export function planExtras(driver: Driver, records: readonly DataRecord[]): ExtrasPlan {
  const all: PlannedField[] = [];
  for (const [name, spec] of Object.entries<FieldSpec>(driver.fields)) {
    let index = -1;
    for (const s of selectors(spec)) {
      index = records.findIndex((r) => matchesSelector(r, s));
      if (index >= 0) break;
    }
    if (spec.select !== undefined && index < 0) continue;
    all.push({ name, spec, index, emit: addsValue(spec, index >= 0 ? records[index] : undefined) });
  }
  // Keep the emitted fields and the inputs of their formulas.
  const needed = new Set(all.filter((p) => p.emit).map((p) => p.name));
  for (const p of all) if (p.emit && p.spec.formula !== undefined) for (const n of p.spec.formula.of) needed.add(n);
  const fields = all.filter((p) => needed.has(p.name));
  return { driver, layout: records.map((r) => r.difvif), fields, adds: fields.some((p) => p.emit) };
}

/** Whether `records` have the layout a plan (this module's or plan.ts's) was made for. */
export function fitsLayout(plan: { readonly layout: readonly string[] }, records: readonly DataRecord[]): boolean {
  const l = plan.layout;
  if (l.length !== records.length) return false;
  for (let i = 0; i < l.length; i++) if (l[i] !== records[i]!.difvif) return false;
  return true;
}

/** The emitted fields' values for records of the plan's layout. */
export function runExtras(plan: ExtrasPlan, records: readonly DataRecord[], manufacturerBytes?: Uint8Array): ExtraValue[] {
  const out: ExtraValue[] = [];
  if (!plan.adds) return out;
  const values: Record<string, ReadingField> = {};
  for (const p of plan.fields) {
    const f = p.spec;
    let field: ReadingField;
    if (f.formula !== undefined) {
      const v = evalFormula(f.formula, values);
      field = { value: v === null ? null : f.factor === undefined ? v : v * f.factor, unit: f.unit ?? '' };
    } else if (f.bytes !== undefined) {
      field = byteFieldValue(f, manufacturerBytes);
    } else {
      field = fieldValue(f, records[p.index]!).field;
    }
    values[p.name] = field;
    if (p.emit && typeof field.value === 'number') {
      const e: ExtraValue = { name: p.name, label: f.label ?? p.name, value: field.value, unit: field.unit };
      if (p.index >= 0) e.from = records[p.index];
      out.push(e);
    }
  }
  return out;
}
