import { infoTableOf, type MeterIdentity } from '$shared/drivers/meter-status';

// What the bits of a meter's status word (info code) mean, from the meter's driver: the same
// tables the server decodes with (e.g. shared/drivers/kamstrup/info-codes.ts), mapped onto the
// vendor-neutral alarm taxonomy (shared/model/alarm.ts).

export type { MeterIdentity };

export interface InfoMeaning {
  flag: string;
  label: string;
  severity: 'critical' | 'warning' | 'info';
  active: boolean;
}

/** The meanings of the set bits of `code`; a meter whose driver has no table gets one "bit N" per set bit. */
export function infoMeanings(m: MeterIdentity, code: number): InfoMeaning[] {
  const table = infoTableOf(m);
  if (table) {
    const d = table.decode(code);
    return d.alarms.map((a, i) => ({ flag: d.flags[i] ?? a.label, label: a.label, severity: a.severity, active: a.active }));
  }
  const out: InfoMeaning[] = [];
  for (let n = 0; n < 53 && 2 ** n <= code; n++) {
    if (Math.floor(code / 2 ** n) % 2) out.push({ flag: `bit ${n}`, label: `Status bit ${n}`, severity: 'info', active: true });
  }
  return out;
}

/** "low battery, external alarm (info code 6)". */
export function infoSummary(m: MeterIdentity | undefined, code: number): string {
  const names = m ? infoMeanings(m, code).map((x) => x.flag) : [];
  return `${names.length ? names.join(', ') : 'status'} (info code ${code})`;
}
