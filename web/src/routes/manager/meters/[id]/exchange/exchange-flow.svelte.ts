import { ApiError, failureText, request } from '$lib/api/client';
import { MEDIUM_REGISTER } from '../format';
import { getLatest, getMeter, type LatestReading, type MeterDetail } from '../meter-api';

// The Manager's guided meter exchange (M12), the same steps as the field app's
// (web/src/routes/field/exchange): old meter, final reading (the latest received one or typed),
// new meter (an existing one by serial, or created) with its start reading, confirm. The server
// applies the exchange and both readings in one transaction (POST /api/metering-points/:id/exchange).

export type Step = 'final' | 'new' | 'confirm' | 'done';
export const STEPS: readonly { id: Step; title: string }[] = [
  { id: 'final', title: 'Final reading' },
  { id: 'new', title: 'New meter' },
  { id: 'confirm', title: 'Confirm' }
];
export type Register = 'energy' | 'volume';
export const UNIT: Record<Register, string> = { energy: 'kWh', volume: 'm3' };
const WRITE = 'Your role may not exchange meters (meters.write): ask an administrator.';

/** "2027-01-31T09:05" in the browser's time zone, for <input type="datetime-local">. */
export function localInput(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** A register value as typed: "1234,5" or "1234.5"; NaN when it is not a number of 0 or more. */
export function parseValue(s: string): number {
  const t = s.trim().replace(',', '.');
  if (!/^\d+(\.\d+)?$/.test(t)) return NaN;
  return Number(t);
}

export class ManagerExchange {
  step = $state<Step>('final');
  old = $state<MeterDetail | null>(null);
  latest = $state<LatestReading | null>(null);
  loadError = $state<string | null>(null);
  register = $state<Register>('energy');
  finalSource = $state<'latest' | 'typed'>('typed');
  finalText = $state('');
  atText = $state(localInput(Date.now()));
  newKind = $state<'create' | 'existing'>('create');
  manufacturer = $state('');
  serial = $state('');
  model = $state('');
  medium = $state('');
  startText = $state('0');
  /** The new meter once found or created (a retry after a failed exchange reuses it). */
  newMeter = $state<MeterDetail | null>(null);
  problem = $state<string | null>(null);
  busy = $state(false);

  latestValue = $derived(this.latest ? this.latest.values[this.register] : null);

  async load(id: number): Promise<void> {
    try {
      const [old, latest] = await Promise.all([getMeter(id), getLatest(id)]);
      this.old = old;
      this.latest = latest;
      this.register = (old.medium && MEDIUM_REGISTER[old.medium]) || (latest?.values.energy == null && latest?.values.volume != null ? 'volume' : 'energy');
      this.finalSource = latest && latest.values[this.register] !== null ? 'latest' : 'typed';
      this.manufacturer = old.manufacturer;
      this.medium = old.medium ?? '';
      if (!old.meteringPoint) this.loadError = `Meter ${old.manufacturer} ${old.serial} is not installed at a metering point: there is nothing to exchange.`;
    } catch (e) {
      this.loadError = failureText(e, 'Your role may not read meters: ask an administrator.');
    }
  }

  /** The final reading as it will be sent, or a problem. */
  final(): { value: number; at: number } | string {
    const at = new Date(this.atText).getTime();
    if (Number.isNaN(at)) return 'Exchange time: enter the date and time the meter came off.';
    if (at > Date.now() + 3_600_000) return 'Exchange time: that is in the future.';
    const since = this.old?.installations.find((i) => i.to === null)?.from;
    if (since !== undefined && at <= since) return `Exchange time: must be after the old meter was installed (${new Date(since).toLocaleString('en-GB')}).`;
    if (this.finalSource === 'latest') {
      if (this.latestValue === null) return 'There is no received reading of this register: type the value off the display.';
      return { value: this.latestValue, at };
    }
    const v = parseValue(this.finalText);
    return Number.isNaN(v) ? `Final reading: enter the ${this.register} register in ${UNIT[this.register]}, e.g. 1234.5.` : { value: v, at };
  }

  next(): void {
    this.problem = null;
    if (this.step === 'final') {
      const f = this.final();
      if (typeof f === 'string') return void (this.problem = f);
      this.step = 'new';
    } else if (this.step === 'new') {
      void this.#checkNew();
    }
  }

  back(): void {
    this.problem = null;
    if (this.step === 'new') this.step = 'final';
    else if (this.step === 'confirm') this.step = 'new';
  }

  async #checkNew(): Promise<void> {
    const manufacturer = this.manufacturer.trim().toUpperCase();
    const serial = this.serial.trim();
    if (!/^[A-Z]{3}$/.test(manufacturer)) return void (this.problem = 'Manufacturer: the 3-letter code such as KAM.');
    if (!/^[0-9A-Za-z._-]{1,32}$/.test(serial)) return void (this.problem = 'Serial: 1-32 letters, digits or . _ - as printed on the meter.');
    if (Number.isNaN(parseValue(this.startText))) return void (this.problem = `Start reading: the new meter's ${this.register} register in ${UNIT[this.register]}, e.g. 0.`);
    if (this.old && manufacturer === this.old.manufacturer && serial === this.old.serial) return void (this.problem = 'Serial: that is the old meter; give the new meter\'s serial.');
    this.busy = true;
    try {
      const found = await request<{ items: MeterDetail[] }>('GET', `/meters?q=${encodeURIComponent(serial)}&limit=20`);
      const same = found.items.find((m) => m.manufacturer === manufacturer && m.serial === serial);
      if (this.newKind === 'existing') {
        if (!same) return void (this.problem = `No meter ${manufacturer} ${serial} is known: choose "Create a new meter".`);
        if (same.meteringPoint) return void (this.problem = `Meter ${manufacturer} ${serial} is installed at ${same.meteringPoint.address}: check the serial.`);
        this.newMeter = same;
      } else if (same) {
        return void (this.problem = `Meter ${manufacturer} ${serial} exists already: choose "Use an existing meter".`);
      } else this.newMeter = null;
      this.manufacturer = manufacturer;
      this.serial = serial;
      this.step = 'confirm';
    } catch (e) {
      this.problem = failureText(e, 'Your role may not read meters: ask an administrator.');
    } finally {
      this.busy = false;
    }
  }

  async confirm(): Promise<void> {
    const old = this.old;
    const f = this.final();
    if (!old?.meteringPoint || typeof f === 'string') return void (this.problem = typeof f === 'string' ? f : 'No old meter.');
    this.busy = true;
    this.problem = null;
    try {
      if (!this.newMeter) {
        const body = {
          manufacturer: this.manufacturer,
          serial: this.serial,
          medium: this.medium.trim() || null,
          model: this.model.trim() || null,
          readingMode: old.readingMode
        };
        this.newMeter = (await request<{ meter: MeterDetail }>('POST', '/meters', body)).meter;
      }
      const value = parseValue(this.startText);
      await request('POST', `/metering-points/${old.meteringPoint.id}/exchange`, {
        oldMeterId: old.id,
        newMeterId: this.newMeter.id,
        at: f.at,
        final: { register: this.register, value: f.value },
        start: { register: this.register, value },
        joinGroups: true
      });
      this.step = 'done';
    } catch (e) {
      const created = this.newMeter && this.newKind === 'create' ? ` The new meter ${this.manufacturer} ${this.serial} was created; confirming again uses it.` : '';
      this.problem = (e instanceof ApiError && e.reason === 'forbidden' ? WRITE : failureText(e, WRITE)) + created;
    } finally {
      this.busy = false;
    }
  }
}
