import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JsonlDecoder } from '../../../server/cli/decode.js';
import { fromHex, toHex } from '../../../shared/bytes/hex.js';
import { responseFrame } from '../../../shared/kmp/frame.js';

const ask = (d: JsonlDecoder, hex: string) => JSON.parse(d.line(JSON.stringify({ hex, link: 'kmp' })));

// protocols.md TV-14 (Kamstrup doc 5512-447 §6.2.4): register 0x0080, kW, 0x012AF024 × 10^17
const TV14_REGISTER = '403F10001B7F160411012AF02463030D';
const TV14_SERIAL = '403F0201234567E9560D';

/**
 * A GetRegister answer made by our encoder (shared/kmp/frame.ts responseFrame) with values
 * worked out by hand: E1 123456 kWh, V1 123.45 m³, t1 64.57 °C, t1−t2 −5.5 K, DATE 2025-08-10,
 * and a 1 GWh register read as 1000 MWh.
 */
const MADE = toHex(
  responseFrame(
    0x3f,
    0x10,
    fromHex(
      '003C 02 04 00 0001E240' + // E1: unit kWh, 123456
        '0044 28 04 42 00003039' + // V1: m³, 12345 × 10^-2
        '0056 25 04 42 00001939' + // t1: °C, 6457 × 10^-2
        '0059 26 04 C1 00000037' + // t1-t2: K, −55 × 10^-1
        '03EB 30 04 00 0003D3BA' + // DATE: yy:mm:dd, 0x3D3BA = 250810
        '005F 04 01 00 01' // E6: GWh, 1
    )
  )
);

describe('decode --jsonl link "kmp": a KMP answer frame in, registers out', () => {
  it('TV-14 GetRegister answer: the register, its name, value and exact text', () => {
    const a = ask(new JsonlDecoder(), TV14_REGISTER);
    expect(a).toMatchObject({ ok: true, manufacturer: null, id: null, accessNumber: null });
    expect(a.records).toEqual([
      {
        value: 1.9591204e24,
        unit: 'kW',
        quantity: 'power',
        storage: 0,
        tariff: 0,
        subunit: 0,
        function: 'instantaneous',
        register: 0x80,
        name: 'max. power this year',
        text: '1959120400000000000000000'
      }
    ]);
  });

  it('several registers: units of the project, negative values, dates, a power of ten exact', () => {
    const a = ask(new JsonlDecoder(), MADE);
    expect(a.ok).toBe(true);
    expect(a.records.map((r: Record<string, unknown>) => [r.register, r.name, r.value, r.text, r.unit])).toEqual([
      [60, 'heat energy', 123456, '123456', 'kWh'],
      [68, 'volume V1', 123.45, '123.45', 'm3'],
      [86, 'flow temperature', 64.57, '64.57', '°C'],
      [89, 'temperature difference t1 − t2', -5.5, '-5.5', 'K'],
      [1003, 'current date (YYMMDD)', '2025-08-10', '2025-08-10', 'date'],
      [95, 'tap water energy', 1000, '1000', 'MWh']
    ]);
  });

  it('GetSerialNo answer gives the meter id; GetType the type and revision; an ACK is ok', () => {
    const d = new JsonlDecoder();
    expect(ask(d, TV14_SERIAL)).toMatchObject({ ok: true, id: '19088743', records: [] });
    expect(ask(d, '403F0100041BF90126990D')).toMatchObject({ ok: true, meterType: 4, revision: 'F1', records: [] });
    expect(ask(d, '06')).toMatchObject({ ok: true, records: [] });
  });

  it('a logger answer (§5.6 example) gives each record id with its values', () => {
    const answer = '01 02 10F3 003C 080400 FF068662 0044 270400 E993DC05 10F4 B50A5C5E 93E05047 10F5 CF065396 F2584C96 10F5 1102 00';
    const a = ask(new JsonlDecoder(), toHex(responseFrame(0x7f, 0xa0, fromHex(answer))));
    expect(a.ok).toBe(true);
    expect(a.records.map((r: Record<string, unknown>) => [r.record, r.register, r.text, r.unit])).toEqual([
      [0x10f3, 60, String(0xff068662), 'GJ'],
      [0x10f3, 68, String(0xe993dc05), 'l'],
      [0x10f4, 60, String(0xb50a5c5e), 'GJ'],
      [0x10f4, 68, String(0x93e05047), 'l'],
      [0x10f5, 60, String(0xcf065396), 'GJ'],
      [0x10f5, 68, String(0xf2584c96), 'l']
    ]);
  });

  it('refuses bad frames with the reason and carries on', () => {
    const d = new JsonlDecoder();
    // the doc's misprinted CRC (§5.7 erratum)
    expect(ask(d, '403F10001B7F160411012AF024F38A0D')).toEqual({
      ok: false,
      error: 'not a KMP frame: CRC F38A, computed 6303 over 3F 10 00 80 16 04 11 01 2A F0 24'
    });
    expect(ask(d, '803F1001003CB25F0D').error).toBe('a request to the meter (start byte 80, CID 10), not an answer from it (40 …)');
    expect(ask(d, TV14_SERIAL + '00')).toEqual({ ok: false, error: '1 byte(s) after the stop byte 0D at 9: expected one whole KMP frame' });
    expect(ask(d, 'E5').error).toBe('not a KMP frame: start byte E5: expected 40 (from meter), 80 (to meter) or a lone 06 (ACK)');
    // a register answer cut inside its value, with a CRC that fits the cut bytes
    const cut = toHex(responseFrame(0x3f, 0x10, fromHex('003C020400000004')));
    expect(ask(d, cut)).toEqual({ ok: false, error: 'register 1 at 0 (register 60): NoB 4 announces 4 value bytes, 3 left' });
    expect(ask(d, toHex(responseFrame(0x3f, 0x9b, fromHex('00000100')))).ok).toBe(false);
    expect(ask(d, TV14_REGISTER).ok).toBe(true);
  });
});

describe('the built program answers link "kmp" on stdin/stdout', () => {
  const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
  const entry = join(root, 'dist/server/server/cli/decode.js');

  it('one answer line per input line', async () => {
    expect(existsSync(entry), `${entry}: run npx tsc -p server/tsconfig.json first (npm test builds)`).toBe(true);
    const child = spawn(process.execPath, [entry, '--jsonl'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const exit = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.stdin.end(
      [JSON.stringify({ hex: TV14_REGISTER, link: 'kmp' }), JSON.stringify({ hex: '4000', link: 'kmp' }), JSON.stringify({ hex: TV14_SERIAL, link: 'kmp' })].join('\n') + '\n'
    );
    expect(await exit).toBe(0);
    const lines = out.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.ok)).toEqual([true, false, true]);
    expect(lines[0].records[0].text).toBe('1959120400000000000000000');
    expect(lines[2].id).toBe('19088743');
  });
});
