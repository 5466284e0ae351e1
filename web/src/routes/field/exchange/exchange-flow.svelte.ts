// The guided meter exchange (M12) as the fitter goes through it: pick the old meter, its final
// reading (radio or typed), the new meter and its start reading, confirm. Holds what was entered
// so Back never loses it; the checks are lib/sync/exchange-draft.ts, the same the server makes.

import type { ExchangeRow, ReadingRow, RouteMeterRow } from '$lib/db';
import { checkDraft, parseValue, radioValue, registerOf, type DraftProblem, type ExchangeDraft, type Register } from '$lib/sync/exchange-draft';

/** A route row; the server's route also carries the address and medium when the device stored them. */
export type RouteRow = RouteMeterRow & { address?: string | null; postalCode?: string | null; city?: string | null; medium?: string | null };

export type Step = 'meter' | 'final' | 'new' | 'confirm';
export const STEPS: readonly { id: Step; title: string }[] = [
  { id: 'meter', title: 'Old meter' },
  { id: 'final', title: 'Final reading' },
  { id: 'new', title: 'New meter' },
  { id: 'confirm', title: 'Confirm' }
];

/** The latest radio reading of the old meter on this device. */
export interface RadioOffer {
  value: number;
  unit: string;
  register: Register;
  at: number;
  frameId: number;
}

/** Which steps' fields a problem belongs to. */
const STEP_OF: Record<string, Step> = {
  meterId: 'meter',
  'final.value': 'final',
  'final.unit': 'final',
  'newMeter.manufacturer': 'new',
  'newMeter.serial': 'new',
  'start.value': 'new',
  'start.unit': 'new',
  at: 'confirm',
  note: 'confirm'
};

/** Registers of media the server knows (store/sync-exchanges.ts): the unit to offer first. */
const UNIT_OF_MEDIUM: Record<string, string> = { heat: 'kWh', cooling: 'kWh', 'heat-cooling': 'kWh', water: 'm3', 'warm-water': 'm3', 'hot-water': 'm3' };

/** "2027-01-31T09:05" in the device's time zone, for <input type="datetime-local">. */
export function localInput(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

export class ExchangeFlow {
  step = $state<Step>('meter');
  meter = $state<RouteRow | null>(null);
  radio = $state<RadioOffer | null>(null);
  finalSource = $state<'radio' | 'typed'>('typed');
  finalText = $state('');
  finalUnit = $state('');
  manufacturer = $state('');
  serial = $state('');
  startText = $state('0');
  startUnit = $state('');
  atText = $state('');
  note = $state('');
  /** The refused exchange being corrected, or null for a new one. */
  correcting = $state<ExchangeRow | null>(null);
  /** Problems of the current step, shown next to their fields. */
  problems = $state<DraftProblem[]>([]);

  stepIndex = $derived(STEPS.findIndex((s) => s.id === this.step));

  /** Starts with the meter chosen; `latest` is its newest reading on this device, if any. */
  pick(meter: RouteRow, latest: ReadingRow | undefined): void {
    // another meter starts afresh, except while correcting a refused exchange (the rest was entered already)
    const keep = this.meter?.meterKey === meter.meterKey || this.correcting !== null;
    this.meter = meter;
    const r = latest ? radioValue(latest) : null;
    this.radio = r && latest ? { ...r, at: latest.at, frameId: latest.frameId } : null;
    if (!keep) {
      this.finalSource = this.radio ? 'radio' : 'typed';
      this.finalText = '';
      this.finalUnit = this.radio?.unit ?? UNIT_OF_MEDIUM[meter.medium ?? ''] ?? '';
      this.manufacturer = meter.manufacturer.toUpperCase();
      this.serial = '';
      this.startText = '0';
      this.startUnit = '';
    }
    this.problems = [];
    this.step = 'final';
  }

  /** Loads a refused exchange to correct it (its meter from the route, when still there). */
  correct(row: ExchangeRow, meter: RouteRow, latest: ReadingRow | undefined): void {
    this.correcting = null;
    this.pick(meter, latest);
    this.correcting = row;
    this.finalSource = row.final.source === 'radio' && this.radio ? 'radio' : 'typed';
    this.finalText = row.final.source === 'typed' ? String(row.final.value) : '';
    this.finalUnit = row.final.source === 'typed' ? row.final.unit : (this.radio?.unit ?? row.final.unit);
    this.manufacturer = row.newMeter.manufacturer;
    this.serial = row.newMeter.serial;
    this.startText = String(row.start.value);
    this.startUnit = row.start.unit;
    this.atText = localInput(row.at);
    this.note = row.note ?? '';
    // open the step the server found fault with
    const first = row.fields?.map((f) => STEP_OF[f.field]).find(Boolean);
    this.step = first ?? 'final';
  }

  reset(): void {
    this.step = 'meter';
    this.meter = null;
    this.radio = null;
    this.correcting = null;
    this.problems = [];
    this.atText = '';
    this.note = '';
  }

  back(): void {
    this.problems = [];
    const i = this.stepIndex;
    if (i > 0) this.step = STEPS[i - 1].id;
  }

  /** Checks the current step; moves on when it is fine. Entering Confirm proposes "now" as the time. */
  next(now: number): boolean {
    const problems = this.check(now).filter((p) => STEP_OF[p.field] === this.step || (this.step === 'confirm' && p.field !== ''));
    this.problems = problems;
    if (problems.length) return false;
    const i = this.stepIndex;
    if (i < STEPS.length - 1) {
      this.step = STEPS[i + 1].id;
      if (this.step === 'confirm' && !this.atText) this.atText = localInput(now);
    }
    return true;
  }

  /** The exchange as entered, with the problems of parsing the typed text. */
  draft(now: number): { draft: ExchangeDraft | null; problems: DraftProblem[] } {
    const m = this.meter;
    if (!m) return { draft: null, problems: [{ field: '', message: 'Choose the old meter first.' }] };
    const problems: DraftProblem[] = [];
    let finalValue = Number.NaN;
    let finalUnit = this.finalUnit;
    if (this.finalSource === 'radio' && this.radio) {
      finalValue = this.radio.value;
      finalUnit = this.radio.unit;
    } else {
      const v = parseValue(this.finalText);
      if ('error' in v) problems.push({ field: 'final.value', message: v.error });
      else finalValue = v.value;
    }
    const start = parseValue(this.startText);
    if ('error' in start) problems.push({ field: 'start.value', message: start.error });
    const startUnit = this.startUnit || finalUnit;
    let at = this.atText ? new Date(this.atText).getTime() : now;
    // the time field shows whole minutes: an exchange typed in the minute of the radio reading
    // happened after that reading (1 ms after it, so the reading stays the old meter's last)
    if (this.finalSource === 'radio' && this.radio && at <= this.radio.at && at + 60_000 > this.radio.at) at = this.radio.at + 1;
    const draft: ExchangeDraft = {
      meterKey: m.meterKey,
      meterId: m.id,
      ...(m.address ? { address: m.address } : {}),
      at,
      final:
        this.finalSource === 'radio' && this.radio
          ? { value: finalValue, unit: finalUnit, source: 'radio', frameId: this.radio.frameId, readAt: this.radio.at }
          : { value: finalValue, unit: finalUnit, source: 'typed' },
      newMeter: { manufacturer: this.manufacturer.trim().toUpperCase(), serial: this.serial.trim() },
      start: { value: 'error' in start ? Number.NaN : start.value, unit: startUnit },
      ...(this.note.trim() ? { note: this.note.trim() } : {})
    };
    if (!this.atText && this.step === 'confirm') problems.push({ field: 'at', message: 'Give the time of the exchange.' });
    return { draft, problems };
  }

  check(now: number): DraftProblem[] {
    const { draft, problems } = this.draft(now);
    if (!draft || !this.meter) return problems;
    const parsed = new Set(problems.map((p) => p.field));
    // a value that did not parse is reported once, as typed
    return [...problems, ...checkDraft(draft, this.meter, now).filter((p) => !parsed.has(p.field))];
  }

  problem(field: string): string | undefined {
    return this.problems.find((p) => p.field === field)?.message;
  }

  /** The register the exchange is counted on, once the final unit is known. */
  register = $derived(registerOf(this.finalSource === 'radio' && this.radio ? this.radio.unit : this.finalUnit));
}
