// A driver compiled for one record layout (shared/drivers/plan.ts) reads exactly what
// applyDriver reads: every registered driver over every driver example's telegram (decoded as
// examples.test.ts does), and over the same layout with other values.
import { describe, expect, it } from 'vitest';
import { fromHex } from '../../../shared/bytes/hex.js';
import { aesKey } from '../../../shared/crypto/aes.js';
import type { DriverInput } from '../../../shared/drivers/define.js';
import { ALL_DRIVERS, applyDriver } from '../../../shared/drivers/index.js';
import { fitsLayout, planReading, readPlanned } from '../../../shared/drivers/plan.js';
import { decodeMbusFrame } from '../../../shared/mbus/frame.js';
import type { DataRecord } from '../../../shared/model/record.js';
import { CompactFormatTable } from '../../../shared/wmbus/compact.js';
import { decodeTelegram, type DecodeTelegramOptions } from '../../../shared/wmbus/telegram.js';

interface Telegram {
  name: string;
  input: DriverInput;
}

/** Every example telegram (and its context telegrams) of every driver, decoded. */
function exampleTelegrams(): Telegram[] {
  const out: Telegram[] = [];
  for (const driver of ALL_DRIVERS) {
    for (const example of driver.examples ?? []) {
      const name = `${driver.id}: ${example.note}`;
      if (example.link === 'mbus') {
        const d = decodeMbusFrame(fromHex(example.hex));
        if (!d.ok || d.value.address === undefined) throw new Error(`${name}: not decoded`);
        const { address, status, records, manufacturerData } = d.value;
        out.push({ name, input: { address, status: status ?? null, records, manufacturerData: manufacturerData ?? null } });
        continue;
      }
      const formats = new CompactFormatTable({ seed: false });
      for (const f of driver.compactFormats ?? []) formats.add(fromHex(f));
      const proprietaryPayload = (): boolean => driver.payload === 'proprietary';
      const options: DecodeTelegramOptions =
        example.key === undefined ? { formats, proprietaryPayload } : { formats, key: aesKey(fromHex(example.key)), proprietaryPayload };
      const hexes = [...(example.context ?? []), example.hex];
      hexes.forEach((hex, i) => {
        const d = decodeTelegram(fromHex(hex), options);
        if (!d.ok) throw new Error(`${name}: ${d.issues.map((x) => x.message).join('; ')}`);
        out.push({ name: i < hexes.length - 1 ? `${name} (context ${i + 1})` : name, input: d.value });
      });
    }
  }
  return out;
}

/** The same layout with other numbers: what the next telegram of the meter looks like. */
function nextValues(records: readonly DataRecord[]): DataRecord[] {
  return records.map((r) =>
    typeof r.value === 'number' ? { ...r, value: r.value * 3 + 1, ...(r.raw === undefined ? {} : { raw: r.raw * 3 + 1 }) } : { ...r }
  );
}

const telegrams = exampleTelegrams();

describe('planReading / readPlanned', () => {
  it('decodes the examples', () => {
    expect(telegrams.length).toBeGreaterThan(40);
  });

  it.each(telegrams.map((t) => [t.name, t] as const))('every driver on %s', (_, { input }) => {
    for (const driver of ALL_DRIVERS) {
      const plan = planReading(driver, input.records);
      expect(fitsLayout(plan, input.records)).toBe(true);
      for (const records of [input.records, nextValues(input.records)]) {
        const telegram: DriverInput = { ...input, records };
        const want = applyDriver(telegram, driver);
        const got = readPlanned(plan, telegram);
        expect(got, driver.id).toStrictEqual(want);
        // key order too: the server stores the fields as JSON in this order
        expect(Object.keys(got.fields), driver.id).toEqual(Object.keys(want.fields));
      }
    }
  });

  it('a plan fits only its own layout', () => {
    const { input } = telegrams.find((t) => t.input.records.length > 2)!;
    const plan = planReading(ALL_DRIVERS[0]!, input.records);
    expect(fitsLayout(plan, input.records.slice(1))).toBe(false);
    expect(fitsLayout(plan, [...input.records].reverse())).toBe(false);
  });

  it('a reading does not share its unclaimed list with the plan', () => {
    const { input } = telegrams.find((t) => applyDriver(t.input).unclaimed.length > 0)!;
    const driver = ALL_DRIVERS.find((d) => d.id === applyDriver(input).driver)!;
    const plan = planReading(driver, input.records);
    readPlanned(plan, input).unclaimed.push('FF');
    expect(readPlanned(plan, input)).toStrictEqual(applyDriver(input, driver));
  });
});
