// Round trips through the whole wireless M-Bus stack: records built with encodeRecords, wrapped
// by encodeTelegram in every layer combination of protocols.md §1, §2 and §4.2, and read back
// by decodeTelegram. The expected values are worked out by hand from the raw numbers and the
// VIF scales of protocols.md §3.5/§3.6 (never taken from the decoder), so a test fails when
// a layer loses or mis-scales what a user reads: ids, values with units, issue codes.
//
// Meters: Kamstrup MULTICAL 403 and 603 heat meters and a MULTICAL 21 water meter
// (identification per §4.1, records per §4.3/§4.4), and an OMS water meter of another
// manufacturer (DME). Keys are throwaway test keys.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  encodeTelegram,
  fullFrameRecords,
  type AflSpec,
  type CompactRecord,
  type EllSpec,
  type TelegramSpec,
  type TplSpec,
} from '../../../shared/wmbus/encode.js';
import { encodeRecords, type DataType, type RecordSpec } from '../../../shared/mbus/encode-records.js';
import { decodeRecords } from '../../../shared/mbus/records.js';
import { decodeTelegram } from '../../../shared/wmbus/telegram.js';
import type { Telegram } from '../../../shared/wmbus/telegram.js';
import { KeyRing } from '../../../shared/wmbus/keyring.js';
import { CompactFormatTable } from '../../../shared/wmbus/compact.js';
import { aesKey, type AesKey } from '../../../shared/crypto/aes.js';
import { crc16En13757 } from '../../../shared/bytes/crc.js';
import { fromHex, toHex } from '../../../shared/bytes/hex.js';
import type { MeterAddress } from '../../../shared/model/address.js';
import type { DataRecord, RecordFunction } from '../../../shared/model/record.js';
import type { Decoded } from '../../../shared/model/decoded.js';

// ---------------------------------------------------------------------------------------------
// Meters and their records, with the values a user reads

interface Expected {
  value: number | string;
  unit: string;
  quantity: string;
  storage: number;
  tariff: number;
  subunit: number;
  function: RecordFunction;
}

interface Rec {
  spec: RecordSpec;
  expect: Expected;
}

function rec(spec: RecordSpec, value: number | string, unit: string, quantity: string): Rec {
  return {
    spec,
    expect: {
      value,
      unit,
      quantity,
      storage: spec.storage ?? 0,
      tariff: spec.tariff ?? 0,
      subunit: spec.subunit ?? 0,
      function: spec.function ?? 'instantaneous',
    },
  };
}

interface Meter {
  name: string;
  address: MeterAddress;
  key: string;
  records: Rec[];
}

/** MULTICAL 403, heat meter with the flow sensor in the inlet (KAM, 34, 0C; §4.1, §4.4). */
const MC403: Meter = {
  name: 'Kamstrup MULTICAL 403 heat',
  address: { manufacturer: 'KAM', id: '71054899', version: 0x34, deviceType: 0x0c },
  key: '0F1E2D3C4B5A69788796A5B4C3D2E1F0',
  records: [
    rec({ type: 'int32', quantity: 'energy kWh', value: 32175 }, 32175, 'kWh', 'energy'), // 04 06
    // 84 10 FB 00: tariff 1, 0.1 MWh → 4567 × 100 kWh
    rec({ type: 'int32', quantity: 'energy 0.1 MWh', tariff: 1, value: 4567 }, 456700, 'kWh', 'energy'),
    // 84 20 0E: tariff 2, 1 MJ → 2605 MJ = 2.605 GJ
    rec({ type: 'int32', quantity: 'energy MJ', tariff: 2, value: 2605 }, 2.605, 'GJ', 'energy'),
    // 04 86 3C: E3 cooling energy, VIFE 3C "backward" (§3.6, §4.4)
    rec({ type: 'int32', quantity: 'energy kWh backward', value: 1500 }, 1500, 'kWh', 'energy backward'),
    rec({ type: 'int32', quantity: 'volume 10 l', value: 359116 }, 3591.16, 'm3', 'volume'), // 04 14
    // 84 40 14: pulse input A as sub-unit 1 (§3.1)
    rec({ type: 'int32', quantity: 'volume 10 l', subunit: 1, value: 1234 }, 12.34, 'm3', 'volume'),
    rec({ type: 'int32', quantity: 'volume flow l/h', value: 237 }, 0.237, 'm3/h', 'volume flow'), // 04 3B
    rec({ type: 'int16', quantity: 'flow temperature 0.01 °C', value: 3215 }, 32.15, '°C', 'flow temperature'),
    rec({ type: 'int16', quantity: 'return temperature 0.01 °C', value: 3474 }, 34.74, '°C', 'return temperature'),
    rec({ type: 'int16', quantity: 'power 0.1 kW', value: 125 }, 12.5, 'kW', 'power'), // 02 2D
    // 12 2D: maximum power, negative for cooling (§3.2 signed)
    rec({ type: 'int16', quantity: 'power 0.1 kW', function: 'maximum', value: -25 }, -2.5, 'kW', 'power'),
    rec({ type: 'int16', quantity: 'date', value: '2022-01-31' }, '2022-01-31', 'date', 'time point'), // 02 6C
    // 04 FF 22: info code, 0x00010060 = t1 and t2 below range, V1 communication error (§4.5.1)
    rec({ type: 'int32', vif: [0xff, 0x22], value: 0x00010060 }, 0x00010060, '', 'manufacturer specific'),
    // storage 1: the values at the target date (§3.1, §4.4)
    rec({ type: 'int32', quantity: 'energy kWh', storage: 1, value: 32000 }, 32000, 'kWh', 'energy'),
    rec({ type: 'int32', quantity: 'volume 10 l', storage: 1, value: 350000 }, 3500, 'm3', 'volume'),
    rec({ type: 'int16', quantity: 'date', storage: 1, value: '2022-01-01' }, '2022-01-01', 'date', 'time point'),
  ],
};

/** MULTICAL 603 configured for GJ (KAM, 35, 04), with a BCD fabrication number. */
const MC603: Meter = {
  name: 'Kamstrup MULTICAL 603 heat (GJ)',
  address: { manufacturer: 'KAM', id: '32323232', version: 0x35, deviceType: 0x04 },
  key: '00112233445566778899AABBCCDDEEFF',
  records: [
    rec({ type: 'int32', quantity: 'energy 10 MJ', value: 16034 }, 160.34, 'GJ', 'energy'), // 04 0F
    rec({ type: 'int32', quantity: 'volume 10 l', value: 8565600 }, 85656, 'm3', 'volume'),
    rec({ type: 'int32', quantity: 'power kW', value: 560 }, 560, 'kW', 'power'), // 04 2E
    rec({ type: 'int32', quantity: 'volume flow l/h', function: 'maximum', value: 22750 }, 22.75, 'm3/h', 'volume flow'),
    rec({ type: 'int16', quantity: 'flow temperature 0.01 °C', value: 8137 }, 81.37, '°C', 'flow temperature'),
    rec({ type: 'int16', quantity: 'return temperature 0.01 °C', value: 4431 }, 44.31, '°C', 'return temperature'),
    rec({ type: 'int16', quantity: 'temperature difference 0.01 K', value: 3706 }, 37.06, 'K', 'temperature difference'),
    rec({ type: 'int32', quantity: 'on time h', value: 17232 }, 17232, 'h', 'on time'), // 04 22
    rec({ type: 'int32', quantity: 'datetime', value: '2024-01-15T11:46' }, '2024-01-15T11:46', 'datetime', 'time point'),
    rec({ type: 'int32', vif: [0xff, 0x22], value: 0 }, 0, '', 'manufacturer specific'),
    rec({ type: 'int32', quantity: 'energy 10 MJ', storage: 1, value: 16000 }, 160, 'GJ', 'energy'),
    rec({ type: 'int16', quantity: 'date', storage: 1, value: '2024-01-01' }, '2024-01-01', 'date', 'time point'),
    // 0C 78: fabrication number, 8-digit BCD, kept as digits
    rec({ type: 'bcd8', quantity: 'fabrication number', value: 84853230 }, '84853230', '', 'fabrication number'),
  ],
};

/** MULTICAL 21 cold water meter (KAM, 1B, 16; §4.3). */
const MC21: Meter = {
  name: 'Kamstrup MULTICAL 21 water',
  address: { manufacturer: 'KAM', id: '76348799', version: 0x1b, deviceType: 0x16 },
  key: '28F64A24988064A079AA2C807D6102AE',
  records: [
    // 02 FF 20: info codes, 0x0071 = DRY active, dry for 22–31 days (§4.5.2)
    rec({ type: 'int16', vif: [0xff, 0x20], value: 0x0071 }, 0x0071, '', 'manufacturer specific'),
    rec({ type: 'int32', quantity: 'volume l', value: 6408 }, 6.408, 'm3', 'volume'), // 04 13
    rec({ type: 'int32', quantity: 'volume l', storage: 1, value: 6100 }, 6.1, 'm3', 'volume'), // 44 13
    // 61 5B: minimum flow temperature, 1 °C, storage 1
    rec({ type: 'int8', vif: [0x5b], function: 'minimum', storage: 1, value: 7 }, 7, '°C', 'flow temperature'),
    // 61 67: minimum external temperature, 1 °C, negative
    rec({ type: 'int8', vif: [0x67], function: 'minimum', storage: 1, value: -3 }, -3, '°C', 'external temperature'),
    // 92 01 3B: maximum flow l/h, storage 2
    rec({ type: 'int16', quantity: 'volume flow l/h', function: 'maximum', storage: 2, value: 317 }, 0.317, 'm3/h', 'volume flow'),
  ],
};

/** An OMS water meter of another manufacturer, BCD data as such meters send (DME, 07). */
const DME: Meter = {
  name: 'OMS water meter DME',
  address: { manufacturer: 'DME', id: '20212223', version: 0x50, deviceType: 0x07 },
  key: 'A0A1A2A3A4A5A6A7A8A9AAABACADAEAF',
  records: [
    rec({ type: 'bcd8', quantity: 'volume l', value: 123456 }, 123.456, 'm3', 'volume'), // 0C 13
    rec({ type: 'int32', quantity: 'datetime', value: '2024-02-29T23:59' }, '2024-02-29T23:59', 'datetime', 'time point'),
    rec({ type: 'bcd6', quantity: 'volume flow l/h', value: 1234 }, 1.234, 'm3/h', 'volume flow'), // 0B 3B
    rec({ type: 'int16', quantity: 'external temperature 0.01 °C', value: -512 }, -5.12, '°C', 'external temperature'),
    rec({ type: 'int16', quantity: 'error flags', value: 0x0004 }, 4, '', 'error flags'), // 02 FD 17
    rec({ type: 'bcd8', quantity: 'volume l', storage: 1, value: 100500 }, 100.5, 'm3', 'volume'), // 4C 13
    rec({ type: 'int16', quantity: 'date', storage: 1, value: '2023-12-31' }, '2023-12-31', 'date', 'time point'),
  ],
};

const METERS = [MC403, MC603, MC21, DME];

/** A radio converter in front of a meter: its own link-layer address (device type 37, §1.5). */
const CONVERTER: MeterAddress = { manufacturer: 'EFE', id: '90000001', version: 0x01, deviceType: 0x37 };

const keyOf = (m: Meter): AesKey => aesKey(fromHex(m.key));

function ringOf(meters: readonly Meter[], key: (m: Meter) => string = (m) => m.key): KeyRing {
  const ring = new KeyRing();
  for (const m of meters) ring.set({ manufacturer: m.address.manufacturer, id: m.address.id }, key(m));
  return ring;
}

const KEYS = ringOf(METERS);
/** Every key with its last byte changed. */
const WRONG_KEYS = ringOf(METERS, (m) => m.key.slice(0, 30) + (m.key.endsWith('00') ? '01' : '00'));

const payloadOf = (m: Meter): Uint8Array => encodeRecords(m.records.map((r) => r.spec));

// ---------------------------------------------------------------------------------------------
// Layer combinations (§2.1 parsing order DLL → ELL → AFL → TPL)

interface Variant {
  name: string;
  /** Link-layer address; the meter's own unless a radio converter sits in front. */
  dll?: MeterAddress;
  ell?: (m: Meter) => EllSpec;
  afl?: AflSpec;
  tpl: (m: Meter, payload: Uint8Array) => TplSpec;
  accessNumber: number | null;
  status: number | null;
  security: Telegram['security'];
  /** Pre-decrypted telegrams may carry a warning (the key was not needed); errors never. */
  warningsAllowed?: boolean;
  /** The encrypted variants: a wrong or missing key must be reported. */
  secret?: boolean;
  /** Access number readable without the key, when it differs (a TPL inside the ELL encryption). */
  lockedAccessNumber?: number;
}

const SN_CTR = 0x21ac7cd3; // ENC = 1 (bits 29..31), §2.2 TV-4
const SN_PLAIN = 0x01ac7cd3; // ENC = 0

const VARIANTS: Variant[] = [
  {
    name: 'no ELL, TPL without header (CI 78)',
    tpl: (_m, payload) => ({ header: 'none', payload }),
    accessNumber: null,
    status: null,
    security: { layer: 'none', mode: 0, state: 'plain' },
  },
  {
    name: 'short header, mode 0',
    tpl: (_m, payload) => ({ header: 'short', acc: 0x21, status: 0x00, payload }),
    accessNumber: 0x21,
    status: 0x00,
    security: { layer: 'none', mode: 0, state: 'plain' },
  },
  {
    name: 'long header, mode 0, status power low',
    tpl: (_m, payload) => ({ header: 'long', acc: 0x22, status: 0x04, payload }),
    accessNumber: 0x22,
    status: 0x04,
    security: { layer: 'none', mode: 0, state: 'plain' },
  },
  {
    name: 'short header, mode 5 (key)',
    tpl: (m, payload) => ({ header: 'short', acc: 0x85, status: 0x10, configFlags: 0x8000, security: { mode: 5, key: keyOf(m) }, payload }),
    accessNumber: 0x85,
    status: 0x10,
    security: { layer: 'tpl', mode: 5, state: 'decrypted' },
    secret: true,
  },
  {
    name: 'long header, mode 5 (key)',
    tpl: (m, payload) => ({ header: 'long', acc: 0x86, status: 0x00, security: { mode: 5, key: keyOf(m) }, payload }),
    accessNumber: 0x86,
    status: 0x00,
    security: { layer: 'tpl', mode: 5, state: 'decrypted' },
    secret: true,
  },
  {
    name: 'radio converter in the DLL, long header with the meter, mode 5 (key of the meter)',
    dll: CONVERTER,
    tpl: (m, payload) => ({ header: 'long', address: m.address, acc: 0x87, status: 0x00, security: { mode: 5, key: keyOf(m) }, payload }),
    accessNumber: 0x87,
    status: 0x00,
    security: { layer: 'tpl', mode: 5, state: 'decrypted' },
    secret: true,
  },
  {
    name: 'radio converter in the DLL, AFL, long header with the meter, mode 7 (KDF id of the meter)',
    dll: CONVERTER,
    afl: { counter: 0x00000102, macLength: 8 },
    tpl: (m, payload) => ({ header: 'long', address: m.address, acc: 0x88, status: 0x00, security: { mode: 7, key: keyOf(m) }, payload }),
    accessNumber: 0x88,
    status: 0x00,
    security: { layer: 'tpl', mode: 7, state: 'decrypted' },
    secret: true,
  },
  {
    name: 'short header, mode 5 marked, pre-decrypted upstream (no key in the encoder)',
    tpl: (_m, payload) => ({ header: 'short', acc: 0x6e, status: 0x00, configFlags: 0x2000, security: { mode: 5 }, payload }),
    accessNumber: 0x6e,
    status: 0x00,
    security: { layer: 'tpl', mode: 5, state: 'decrypted-upstream' },
    warningsAllowed: true,
  },
  {
    name: 'AFL with 8-byte MAC, short header, mode 7 (key)',
    afl: { counter: 0x00025e89, macLength: 8 },
    tpl: (m, payload) => ({ header: 'short', acc: 0x0e, status: 0x00, security: { mode: 7, key: keyOf(m) }, payload }),
    accessNumber: 0x0e,
    status: 0x00,
    security: { layer: 'tpl', mode: 7, state: 'decrypted' },
    secret: true,
  },
  {
    name: 'AFL with 16-byte MAC, long header, mode 7 (key)',
    afl: { counter: 0x12345678, macLength: 16 },
    tpl: (m, payload) => ({ header: 'long', acc: 0x0f, status: 0x08, security: { mode: 7, key: keyOf(m) }, payload }),
    accessNumber: 0x0f,
    status: 0x08,
    security: { layer: 'tpl', mode: 7, state: 'decrypted' },
    secret: true,
  },
  {
    name: 'ELL I (8C), AFL with 4-byte MAC, short header, mode 7 (key)',
    ell: () => ({ ci: 0x8c, cc: 0x20, acc: 0x0e }),
    afl: { counter: 7, macLength: 4 },
    tpl: (m, payload) => ({ header: 'short', acc: 0x0e, status: 0x00, security: { mode: 7, key: keyOf(m) }, payload }),
    accessNumber: 0x0e,
    status: 0x00,
    security: { layer: 'tpl', mode: 7, state: 'decrypted' },
    secret: true,
  },
  {
    name: 'ELL II (8D) AES-CTR (key), TPL without header (Kamstrup C1)',
    ell: (m) => ({ ci: 0x8d, cc: 0x20, acc: 0x91, sn: SN_CTR, key: keyOf(m) }),
    tpl: (_m, payload) => ({ header: 'none', payload }),
    accessNumber: 0x91,
    status: null,
    security: { layer: 'ell', mode: 0, state: 'decrypted' },
    secret: true,
  },
  {
    name: 'ELL II (8D) AES-CTR (key), relayed (CC H and R set), short header mode 0',
    ell: (m) => ({ ci: 0x8d, cc: 0x32, acc: 0x92, sn: SN_CTR, key: keyOf(m) }),
    tpl: (_m, payload) => ({ header: 'short', acc: 0x44, status: 0x01, payload }),
    accessNumber: 0x44,
    status: 0x01,
    lockedAccessNumber: 0x92,
    security: { layer: 'ell', mode: 0, state: 'decrypted' },
    secret: true,
  },
  {
    name: 'ELL II (8D) ENC = 1 sent in clear (pre-decrypted upstream), TPL without header',
    ell: () => ({ ci: 0x8d, cc: 0x20, acc: 0x93, sn: SN_CTR }),
    tpl: (_m, payload) => ({ header: 'none', payload }),
    accessNumber: 0x93,
    status: null,
    security: { layer: 'ell', mode: 0, state: 'decrypted-upstream' },
    warningsAllowed: true,
  },
  {
    name: 'ELL II (8D) without encryption (ENC = 0), TPL without header',
    ell: () => ({ ci: 0x8d, cc: 0x20, acc: 0x94, sn: SN_PLAIN }),
    tpl: (_m, payload) => ({ header: 'none', payload }),
    accessNumber: 0x94,
    status: null,
    security: { layer: 'none', mode: 0, state: 'plain' },
  },
  {
    name: 'ELL I (8C) without encryption, TPL without header',
    ell: () => ({ ci: 0x8c, cc: 0x00, acc: 0x95 }),
    tpl: (_m, payload) => ({ header: 'none', payload }),
    accessNumber: 0x95,
    status: null,
    security: { layer: 'none', mode: 0, state: 'plain' },
  },
  {
    name: 'ELL I (8C) without encryption, short header, mode 5 (key)',
    ell: () => ({ ci: 0x8c, cc: 0x20, acc: 0x96 }),
    tpl: (m, payload) => ({ header: 'short', acc: 0x97, status: 0x00, security: { mode: 5, key: keyOf(m) }, payload }),
    accessNumber: 0x97,
    status: 0x00,
    security: { layer: 'tpl', mode: 5, state: 'decrypted' },
    secret: true,
  },
];

const FRAMES = ['none', 'A', 'B'] as const;
type Frame = (typeof FRAMES)[number];

function specOf(m: Meter, v: Variant, frame: Frame, payload = payloadOf(m)): TelegramSpec {
  const spec: TelegramSpec = { address: v.dll ?? m.address, tpl: v.tpl(m, payload), frame };
  if (v.ell) spec.ell = v.ell(m);
  if (v.afl) spec.afl = v.afl;
  return spec;
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** The record fields a user relies on, numbers compared to 9 decimals (they are scaled by 10^n). */
function shape(records: readonly DataRecord[]): Expected[] {
  return records.map((r) => ({
    value: r.value,
    unit: r.unit,
    quantity: r.quantity,
    storage: r.storage,
    tariff: r.tariff,
    subunit: r.subunit,
    function: r.function,
  }));
}

function expected(recs: readonly Rec[]): unknown[] {
  return recs.map((r) => ({
    ...r.expect,
    value: typeof r.expect.value === 'number' ? expect.closeTo(r.expect.value, 9) : r.expect.value,
  }));
}

function value(r: Decoded<Telegram>): Telegram {
  if (!r.ok) throw new Error(`expected ok, got issues ${JSON.stringify(r.issues)}`);
  return r.value;
}

function codes(r: Decoded<Telegram>): string[] {
  return r.issues.map((i) => i.code);
}

function errors(r: Decoded<Telegram>): string[] {
  return r.issues.filter((i) => i.severity === 'error').map((i) => `${i.code}: ${i.message}`);
}

/** Data bytes per DIF data field code 0..7 and 9..C, E (§3.2); encodeRecords never writes D here. */
const DATA_BYTES = [0, 1, 2, 3, 4, 4, 6, 8, 0, 1, 2, 3, 4, -1, 6, -1];

/** Splits each record into DIF/VIF and data, the way a compact frame needs it (§4.2). */
function compactRecords(specs: readonly RecordSpec[]): CompactRecord[] {
  return specs.map((s) => {
    const bytes = encodeRecords([s]);
    const n = DATA_BYTES[bytes[0]! & 0x0f]!;
    return { difvif: bytes.slice(0, bytes.length - n), data: bytes.slice(bytes.length - n) };
  });
}

/** The position of the CRC that guards byte `i` of a format A frame (§1.2: blocks of 10, then 16). */
function formatABlockCrcAt(i: number, total: number): number {
  if (i < 12) return 10;
  const k = Math.floor((i - 12) / 18); // block k + 2, starting at 12 + 18k
  const start = 12 + 18 * k;
  const size = Math.min(16, total - 2 - start);
  return start + size;
}

// ---------------------------------------------------------------------------------------------
// 1. Every layer combination round-trips

describe('round trip: encodeRecords → encodeTelegram → decodeTelegram', () => {
  for (const m of METERS) {
    describe(m.name, () => {
      for (const v of VARIANTS) {
        for (const frame of FRAMES) {
          it(`${v.name}, frame format ${frame}`, () => {
            const bytes = encodeTelegram(specOf(m, v, frame));
            const r = decodeTelegram(bytes, { keys: KEYS });
            expect(errors(r)).toEqual([]);
            if (!v.warningsAllowed) expect(r.issues).toEqual([]);
            expect(r.raw).toBe(bytes);
            const t = value(r);
            expect(t.address).toEqual(v.dll ?? m.address);
            expect(t.control).toBe(0x44);
            expect(t.frameFormat).toBe(frame);
            expect(t.accessNumber).toBe(v.accessNumber);
            expect(t.status).toBe(v.status);
            expect(t.security).toEqual(v.security);
            if (v.dll) expect(t.tpl?.address).toEqual(m.address);
            expect(shape(t.records)).toEqual(expected(m.records));
          });
        }
      }
    });
  }

  it('a byte the receiver appends (RSSI) gives a trailing-bytes warning and the same values', () => {
    for (const m of [MC403, MC21]) {
      for (const v of VARIANTS.filter((x) => x.secret)) {
        for (const frame of FRAMES) {
          const bytes = encodeTelegram(specOf(m, v, frame));
          const withRssi = Uint8Array.from([...bytes, 0xc5]);
          const r = decodeTelegram(withRssi, { keys: KEYS });
          const where = `${m.name}, ${v.name}, format ${frame}`;
          expect(codes(r), where).toEqual(['trailing-bytes']);
          expect(r.issues[0]!.offset, where).toBe(bytes.length);
          const t = value(r);
          expect(t.frameFormat, where).toBe(frame);
          expect(shape(t.records), where).toEqual(expected(m.records));
        }
      }
    }
  });

  it('a key passed with the telegram (opts.key) opens it without a key ring', () => {
    for (const v of VARIANTS.filter((x) => x.secret)) {
      const bytes = encodeTelegram(specOf(MC603, v, 'B'));
      const t = value(decodeTelegram(bytes, { key: keyOf(MC603) }));
      expect(t.security, v.name).toEqual(v.security);
      expect(shape(t.records), v.name).toEqual(expected(MC603.records));
    }
  });

  it('a key filed under the id alone (any manufacturer) opens every kind of encryption', () => {
    const ring = new KeyRing();
    for (const m of METERS) ring.set({ id: m.address.id }, m.key);
    for (const m of METERS) {
      for (const v of VARIANTS.filter((x) => x.secret)) {
        const t = value(decodeTelegram(encodeTelegram(specOf(m, v, 'none')), { keys: ring }));
        expect(shape(t.records), `${m.name}, ${v.name}`).toEqual(expected(m.records));
      }
    }
  });

  it("crcs: 'absent' and 'present' are obeyed", () => {
    const v = VARIANTS[1]!; // short header, mode 0
    const plain = encodeTelegram(specOf(DME, v, 'none'));
    const a = encodeTelegram(specOf(DME, v, 'A'));
    expect(shape(value(decodeTelegram(plain, { crcs: 'absent' })).records)).toEqual(expected(DME.records));
    expect(value(decodeTelegram(a, { crcs: 'present' })).frameFormat).toBe('A');
    const r = decodeTelegram(plain, { crcs: 'present' });
    expect(r.ok).toBe(false);
    expect(errors(r).length).toBeGreaterThan(0);
  });

  it('with explain: true every span lies inside the bytes received', () => {
    const outside: string[] = [];
    for (const m of METERS) {
      for (const v of VARIANTS) {
        for (const frame of FRAMES) {
          const bytes = encodeTelegram(specOf(m, v, frame));
          const r = decodeTelegram(bytes, { keys: KEYS, explain: true });
          expect(r.spans.length).toBeGreaterThan(10);
          for (const s of r.spans) {
            if (s.offset < 0 || s.length < 0 || s.offset + s.length > bytes.length) {
              outside.push(`${m.name}, ${v.name}, format ${frame}: span "${s.label}" ${s.offset}+${s.length} of ${bytes.length}`);
            }
          }
        }
      }
    }
    expect(outside).toEqual([]);
  });

  it('with explain: true a format A/B frame marks the same bytes as its CRC-free twin, CRCs in between included', () => {
    // Received position of byte `o` of the CRC-free frame (§1.2), worked out here independently.
    const at = (o: number, frame: Frame): number =>
      frame === 'A' ? (o < 10 ? o : o + 2 + 2 * Math.floor((o - 10) / 16)) : frame === 'B' && o >= 126 ? o + 2 : o;
    const wrong: string[] = [];
    for (const m of METERS) {
      for (const v of VARIANTS) {
        const twin = decodeTelegram(encodeTelegram(specOf(m, v, 'none')), { keys: KEYS, explain: true }).spans;
        for (const frame of ['A', 'B'] as const) {
          const spans = decodeTelegram(encodeTelegram(specOf(m, v, frame)), { keys: KEYS, explain: true }).spans;
          expect(spans.map((s) => s.label)).toEqual(twin.map((s) => s.label));
          for (const [k, s] of spans.entries()) {
            const t = twin[k]!;
            const start = at(t.offset, frame);
            const end = t.length === 0 ? start : at(t.offset + t.length - 1, frame) + 1;
            if (s.offset !== start || s.offset + s.length !== end) {
              wrong.push(`${m.name}, ${v.name}, format ${frame}: "${s.label}" marks ${s.offset}+${s.length}, expected ${start}+${end - start}`);
            }
          }
        }
      }
    }
    expect(wrong.slice(0, 6)).toEqual([]);
    expect(wrong).toHaveLength(0);
  });

  it('mode 5 and mode 7 with records sent in clear after the encrypted blocks (§2.5)', () => {
    const tail = encodeRecords([
      { type: 'int16', quantity: 'error flags', value: 0x0102 },
      { type: 'int8', quantity: 'firmware version', value: 0x21 },
    ]);
    for (const v of VARIANTS.filter((x) => x.secret && x.security.layer === 'tpl')) {
      for (const frame of FRAMES) {
        const spec = specOf(DME, v, frame);
        spec.tpl = { ...(spec.tpl as Extract<TplSpec, { header: 'short' | 'long' }>), plainTail: tail };
        const r = decodeTelegram(encodeTelegram(spec), { keys: KEYS });
        expect(r.issues, `${v.name}, format ${frame}`).toEqual([]);
        const t = value(r);
        expect(shape(t.records), `${v.name}, format ${frame}`).toEqual([
          ...expected(DME.records),
          { value: 0x0102, unit: '', quantity: 'error flags', storage: 0, tariff: 0, subunit: 0, function: 'instantaneous' },
          { value: 0x21, unit: '', quantity: 'firmware version', storage: 0, tariff: 0, subunit: 0, function: 'instantaneous' },
        ]);
      }
    }
  });

  it('every length around the block edges (format A 16-byte blocks, format B 128 bytes) round-trips', () => {
    const records = encodeRecords(DME.records.map((r) => r.spec));
    const lengths = new Set<number>();
    for (let filler = 0; filler <= 80; filler++) {
      for (const v of [VARIANTS[1]!, VARIANTS.find((x) => x.security.layer === 'ell' && x.secret)!]) {
        for (const frame of FRAMES) {
          const payload = Uint8Array.from([...records, ...new Uint8Array(filler).fill(0x2f)]);
          const bytes = encodeTelegram(specOf(DME, v, frame, payload));
          if (frame === 'B') lengths.add(bytes.length);
          const r = decodeTelegram(bytes, { keys: KEYS });
          const where = `${v.name}, format ${frame}, ${filler} fillers, ${bytes.length} bytes`;
          expect(r.issues, where).toEqual([]);
          expect(shape(value(r).records), where).toEqual(expected(DME.records));
        }
      }
    }
    expect([...lengths].filter((n) => n >= 120 && n <= 140).length).toBeGreaterThan(8);
  });

  it('manufacturer data after DIF 0F arrives byte for byte', () => {
    const tail = fromHex('0102030405060708090A0B0C');
    for (const v of VARIANTS.filter((x) => !x.warningsAllowed)) {
      const payload = encodeRecords(MC21.records.map((r) => r.spec), { manufacturerData: tail });
      const t = value(decodeTelegram(encodeTelegram(specOf(MC21, v, 'A', payload)), { keys: KEYS }));
      expect(shape(t.records), v.name).toEqual(expected(MC21.records));
      expect(t.manufacturerData?.moreRecordsFollow, v.name).toBe(false);
      // with TPL encryption the 2F padding of the last block follows the tail
      const got = toHex(t.manufacturerData!.bytes);
      expect(got.startsWith(toHex(tail)) && /^(2F)*$/.test(got.slice(toHex(tail).length)), `${v.name}: ${got}`).toBe(true);
    }
  });

  it('every AFL MAC length of §2.3 (2, 4, 8, 12, 16 bytes) verifies, and one flipped MAC bit is caught', () => {
    for (const macLength of [2, 4, 8, 12, 16] as const) {
      const v = { ...VARIANTS.find((x) => x.name.startsWith('AFL with 8-byte MAC'))!, afl: { counter: 99, macLength } };
      const bytes = encodeTelegram(specOf(MC603, v, 'none'));
      const t = value(decodeTelegram(bytes, { keys: KEYS }));
      expect(t.afl?.mac, `MAC ${macLength}`).toHaveLength(macLength);
      expect(shape(t.records)).toEqual(expected(MC603.records));
      const bad = bytes.slice();
      bad[10 + 2 + 2 + 1 + 4 + macLength - 1]! ^= 0x01; // last MAC byte
      expect(codes(decodeTelegram(bad, { keys: KEYS })), `MAC ${macLength}`).toContain('bad-mac');
    }
  });

  it('pre-decrypted telegrams decode without any key and without issues', () => {
    for (const v of VARIANTS.filter((x) => x.security.state === 'decrypted-upstream')) {
      for (const frame of FRAMES) {
        const r = decodeTelegram(encodeTelegram(specOf(MC21, v, frame)));
        expect(r.issues, `${v.name}, format ${frame}`).toEqual([]);
        expect(value(r).security).toEqual(v.security);
        expect(shape(value(r).records)).toEqual(expected(MC21.records));
      }
    }
  });

  it('the C field round-trips (SND_NR, SND_IR, RSP_UD, ACC_NR)', () => {
    for (const c of [0x44, 0x46, 0x08, 0x47]) {
      const t = value(decodeTelegram(encodeTelegram({ ...specOf(DME, VARIANTS[3]!, 'A'), c }), { keys: KEYS }));
      expect(t.control).toBe(c);
      expect(shape(t.records)).toEqual(expected(DME.records));
    }
  });

  it('the largest telegrams (L = 255) round-trip in every frame format', () => {
    const records = encodeRecords(DME.records.map((r) => r.spec));
    const v = VARIANTS[1]!; // short header, mode 0: 15 bytes before the records
    for (const frame of FRAMES) {
      // without CRCs L = length − 1 = 255; format A's L counts no CRCs; format B's L counts its two CRCs
      const room = (frame === 'B' ? 256 - 4 : 256) - 15;
      const payload = Uint8Array.from([...records, ...new Uint8Array(room - records.length).fill(0x2f)]);
      const bytes = encodeTelegram(specOf(DME, v, frame, payload));
      expect(bytes[0], frame).toBe(255);
      const r = decodeTelegram(bytes, { keys: KEYS });
      expect(r.issues, frame).toEqual([]);
      expect(shape(value(r).records), frame).toEqual(expected(DME.records));
    }
  });

  it('the matrix covers format B frames with two CRCs (more than 128 bytes)', () => {
    const long = METERS.flatMap((m) => VARIANTS.map((v) => encodeTelegram(specOf(m, v, 'B')))).filter((b) => b.length > 128);
    expect(long.length).toBeGreaterThan(3);
  });
});

// ---------------------------------------------------------------------------------------------
// 2. Kamstrup compact frames (§4.2)

describe('Kamstrup compact frames (CI 79) learned from a full frame (CI 78)', () => {
  for (const m of [MC21, MC403]) {
    const specs = m.records.map((r) => r.spec);
    const recs = compactRecords(specs);
    const ell = (acc: number, sn: number): EllSpec => ({ ci: 0x8d, cc: 0x20, acc, sn, key: keyOf(m) });
    const full = encodeTelegram({ address: m.address, ell: ell(0x10, SN_CTR), tpl: { header: 'none', payload: fullFrameRecords(recs) } });
    const compact = encodeTelegram({ address: m.address, ell: ell(0x11, SN_CTR + 1), tpl: { header: 'none', compact: recs } });
    const fsig = crc16En13757(Uint8Array.from(recs.flatMap((r) => [...r.difvif])));

    it(`${m.name}: the full frame carries exactly the records encodeRecords built`, () => {
      expect(toHex(fullFrameRecords(recs))).toBe(toHex(payloadOf(m)));
    });

    it(`${m.name}: the compact frame alone, with an empty table, gives 'unknown-format' and still its header`, () => {
      const table = new CompactFormatTable({ seed: false });
      const r = decodeTelegram(compact, { keys: KEYS, formats: table });
      expect(r.ok).toBe(false);
      expect(codes(r)).toContain('unknown-format');
      expect(r.raw).toBe(compact);
      if (r.ok) return;
      expect(r.partial.address).toEqual(m.address);
      expect(r.partial.accessNumber).toBe(0x11);
      expect(r.partial.security).toEqual({ layer: 'ell', mode: 0, state: 'decrypted' });
      expect(r.issues.find((i) => i.code === 'unknown-format')?.message).toContain(m.address.id);
    });

    it(`${m.name}: after the full frame, the compact frame decodes to the same values`, () => {
      const table = new CompactFormatTable({ seed: false });
      const f = value(decodeTelegram(full, { keys: KEYS, formats: table }));
      expect(shape(f.records)).toEqual(expected(m.records));
      expect(table.size).toBe(1);
      expect(table.lookup(fsig)).toBeDefined();
      value(decodeTelegram(full, { keys: KEYS, formats: table }));
      expect(table.size).toBe(1); // a known format is not learned twice

      const r = decodeTelegram(compact, { keys: KEYS, formats: table });
      expect(r.issues).toEqual([]);
      const c = value(r);
      expect(c.address).toEqual(m.address);
      expect(c.accessNumber).toBe(0x11);
      expect(c.compact).toEqual({ signature: fsig, fullFrameCrc: crc16En13757(fullFrameRecords(recs)) });
      expect(shape(c.records)).toEqual(expected(m.records));
      expect(c.records.map((x) => x.difvif)).toEqual(f.records.map((x) => x.difvif));
    });

    it(`${m.name}: the table saved as JSON and loaded into a fresh table decodes it too`, () => {
      const table = new CompactFormatTable({ seed: false });
      value(decodeTelegram(full, { keys: KEYS, formats: table }));
      const text = JSON.stringify(table);
      const hex4 = fsig.toString(16).toUpperCase().padStart(4, '0');
      expect(JSON.parse(text)).toMatchObject({ version: 1, formats: [{ signature: hex4, format: toHex(Uint8Array.from(recs.flatMap((r) => [...r.difvif]))) }] });
      const fresh = CompactFormatTable.fromJSON(JSON.parse(text), { seed: false });
      expect(fresh.size).toBe(1);
      const c = value(decodeTelegram(compact, { keys: KEYS, formats: fresh }));
      expect(shape(c.records)).toEqual(expected(m.records));
      // the string form loads as well
      expect(shape(value(decodeTelegram(compact, { keys: KEYS, formats: CompactFormatTable.fromJSON(text, { seed: false }) })).records)).toEqual(
        expected(m.records),
      );
    });
  }

  it('MULTICAL 21: a later compact frame with new readings decodes to the new values', () => {
    const table = new CompactFormatTable({ seed: false });
    const key = keyOf(MC21);
    const specs = MC21.records.map((r) => r.spec);
    const full = encodeTelegram({
      address: MC21.address,
      ell: { ci: 0x8d, cc: 0x20, acc: 1, sn: SN_CTR, key },
      tpl: { header: 'none', payload: encodeRecords(specs) },
    });
    value(decodeTelegram(full, { keys: KEYS, formats: table }));
    const later = specs.map((s) => (s.quantity === 'volume l' && !s.storage ? { ...s, value: 6412 } : s));
    const compact = encodeTelegram({
      address: MC21.address,
      ell: { ci: 0x8d, cc: 0x20, acc: 2, sn: SN_CTR + 2, key },
      tpl: { header: 'none', compact: compactRecords(later) },
    });
    const c = value(decodeTelegram(compact, { keys: KEYS, formats: table }));
    expect(c.records[1]).toMatchObject({ value: expect.closeTo(6.412, 9), unit: 'm3', storage: 0 });
    expect(c.records[2]).toMatchObject({ value: expect.closeTo(6.1, 9), unit: 'm3', storage: 1 });
  });

  for (const v of VARIANTS.filter((x) => x.tpl(MC603, new Uint8Array(0)).header !== 'none' && !x.warningsAllowed)) {
    it(`compact frame with a transport header: ${v.name} (CI 7B/73 after 7A/72)`, () => {
      const m = MC603;
      const recs = compactRecords(m.records.map((r) => r.spec));
      const spec = (compact: boolean, acc: number): TelegramSpec => {
        const s = specOf(m, v, 'B');
        const tpl = s.tpl as Extract<TplSpec, { header: 'short' | 'long' }>;
        s.tpl = compact ? { ...tpl, payload: undefined, compact: recs, acc } : { ...tpl, acc };
        return s;
      };
      const table = new CompactFormatTable({ seed: false });
      const full = encodeTelegram(spec(false, 0x40));
      const compact = encodeTelegram(spec(true, 0x41));
      const before = decodeTelegram(compact, { keys: KEYS, formats: table });
      expect(codes(before)).toContain('unknown-format');
      expect(before.ok ? null : before.partial.address).toEqual(v.dll ?? m.address);
      value(decodeTelegram(full, { keys: KEYS, formats: table }));
      const r = decodeTelegram(compact, { keys: KEYS, formats: table });
      expect(r.issues).toEqual([]);
      const c = value(r);
      expect([0x7b, 0x73]).toContain(c.tpl?.ci);
      expect(c.accessNumber).toBe(0x41);
      expect(shape(c.records)).toEqual(expected(m.records));
    });
  }

  it('compact frame with TPL encryption whose last data byte is 2F (the filler value) still decodes', () => {
    // The 2F padding after the data of an encrypted compact frame must not eat a data byte 2F.
    const failed: string[] = [];
    for (const last of [0x2f00, 0x2f2f, 0x002f, 0x7f2f]) {
      for (const mode of [5, 7] as const) {
        const specs: RecordSpec[] = MC21.records.map((r, k) => (k === MC21.records.length - 1 ? { ...r.spec, value: last } : r.spec));
        const table = new CompactFormatTable({ seed: false });
        const base = { header: 'short', acc: 0x51, status: 0, security: { mode, key: keyOf(MC21) } } as const;
        const afl = mode === 7 ? { counter: 5 } : undefined;
        const full = encodeTelegram({ address: MC21.address, afl, tpl: { ...base, payload: encodeRecords(specs) } });
        const compact = encodeTelegram({ address: MC21.address, afl, tpl: { ...base, acc: 0x52, compact: compactRecords(specs) } });
        value(decodeTelegram(full, { keys: KEYS, formats: table }));
        const r = decodeTelegram(compact, { keys: KEYS, formats: table });
        const got = r.ok ? r.value.records.at(-1)?.value : undefined;
        if (!r.ok || typeof got !== 'number' || Math.abs(got - last / 1000) > 1e-9) {
          failed.push(`mode ${mode}, last record ${last.toString(16).padStart(4, '0')} (data ends ${(last >> 8).toString(16)}): ${codes(r).join(',')} ${toHex(compact)}`);
        }
      }
    }
    expect(failed).toEqual([]);
  });

  it('compact frame with TPL encryption whose format signature starts with byte 2F still decodes', () => {
    // FSIG is a CRC, so 1 format in 256 sends 2F as its first byte, right after the 2F 2F check bytes.
    const failed: string[] = [];
    let found = 0;
    for (let storage = 2; storage < 400 && found < 3; storage++) {
      const specs: RecordSpec[] = [...MC21.records.map((r) => r.spec), { type: 'int32', quantity: 'volume l', storage, value: 1234 }];
      const recs = compactRecords(specs);
      const fsig = crc16En13757(Uint8Array.from(recs.flatMap((r) => [...r.difvif])));
      if ((fsig & 0xff) !== 0x2f) continue;
      found++;
      const table = new CompactFormatTable({ seed: false });
      const base = { header: 'short', acc: 0x61, status: 0, security: { mode: 5, key: keyOf(MC21) } } as const;
      value(decodeTelegram(encodeTelegram({ address: MC21.address, tpl: { ...base, payload: encodeRecords(specs) } }), { keys: KEYS, formats: table }));
      const compact = encodeTelegram({ address: MC21.address, tpl: { ...base, acc: 0x62, compact: recs } });
      const r = decodeTelegram(compact, { keys: KEYS, formats: table });
      if (!r.ok || r.value.compact?.signature !== fsig || r.value.records.length !== specs.length) {
        failed.push(`storage ${storage}, FSIG on air ${toHex(Uint8Array.of(fsig & 0xff, fsig >> 8))}: ${codes(r).join(',')} ${toHex(compact)}`);
      }
    }
    expect(found).toBeGreaterThan(0);
    expect(failed).toEqual([]);
  });

  it('compact frame behind a short header with mode 5 (CI 7B) decodes after its full frame (CI 7A)', () => {
    const table = new CompactFormatTable({ seed: false });
    const specs = MC403.records.map((r) => r.spec);
    const tpl = { header: 'short', acc: 0x31, status: 0, security: { mode: 5, key: keyOf(MC403) } } as const;
    const full = encodeTelegram({ address: MC403.address, tpl: { ...tpl, payload: encodeRecords(specs) } });
    const compact = encodeTelegram({ address: MC403.address, tpl: { ...tpl, acc: 0x32, compact: compactRecords(specs) } });
    expect(compact[10]).toBe(0x7b);
    value(decodeTelegram(full, { keys: KEYS, formats: table }));
    const c = value(decodeTelegram(compact, { keys: KEYS, formats: table }));
    expect(c.accessNumber).toBe(0x32);
    expect(shape(c.records)).toEqual(expected(MC403.records));
  });
});

// ---------------------------------------------------------------------------------------------
// 3. Failures from real bytes

const SECRET = VARIANTS.filter((v) => v.secret);

describe('wrong and missing keys', () => {
  for (const m of [MC21, MC403, DME]) {
    for (const v of SECRET) {
      it(`${m.name}, ${v.name}: wrong key → 'wrong-key', address in partial`, () => {
        const bytes = encodeTelegram(specOf(m, v, 'none'));
        const r = decodeTelegram(bytes, { keys: WRONG_KEYS });
        expect(r.ok).toBe(false);
        expect(r.raw).toBe(bytes);
        expect(r.issues.filter((i) => i.code === 'wrong-key' && i.severity === 'error')).toHaveLength(1);
        if (r.ok) return;
        expect(r.partial.address).toEqual(v.dll ?? m.address);
        expect(r.partial.accessNumber).toBe(v.lockedAccessNumber ?? v.accessNumber);
        expect(r.partial.status).toBe(v.lockedAccessNumber !== undefined ? null : v.status);
        expect(codes(r)).not.toContain('bad-mac'); // a wrong key is not a tampered telegram
        expect(r.partial.records ?? []).toEqual([]);
        expect(r.issues.find((i) => i.code === 'wrong-key')!.hint).toContain(m.address.id);
      });

      it(`${m.name}, ${v.name}: no key → 'no-key', address in partial`, () => {
        const bytes = encodeTelegram(specOf(m, v, 'A'));
        for (const opts of [{}, { keys: new KeyRing() }, { keys: ringOf(METERS.filter((x) => x !== m)) }]) {
          const r = decodeTelegram(bytes, opts);
          expect(r.ok).toBe(false);
          expect(codes(r)).toContain('no-key');
          if (r.ok) return;
          expect(r.partial.address).toEqual(v.dll ?? m.address);
          expect(r.partial.frameFormat).toBe('A');
          expect(r.partial.security).toEqual({ layer: v.security.layer, mode: v.security.mode, state: 'encrypted' });
          expect(r.partial.records ?? []).toEqual([]);
          expect(r.issues.find((i) => i.code === 'no-key')!.hint).toContain(m.address.id);
        }
      });
    }
  }
});

describe('security the decoder does not support', () => {
  it("security modes 2, 3, 8, 9, 10, 13 → 'unsupported-security', address in partial", () => {
    const v = VARIANTS.find((x) => x.name === 'short header, mode 5 (key)')!;
    const good = encodeTelegram(specOf(DME, v, 'none'));
    expect(good[10]).toBe(0x7a);
    for (const mode of [2, 3, 8, 9, 10, 13]) {
      const bad = good.slice();
      bad[14] = (bad[14]! & 0xe0) | mode; // CFG high byte: bits 12..8 = mode (§2.4)
      const r = decodeTelegram(bad, { keys: KEYS });
      expect(r.ok, `mode ${mode}`).toBe(false);
      expect(codes(r), `mode ${mode}`).toContain('unsupported-security');
      expect(r.ok ? null : r.partial.address).toEqual(DME.address);
      expect(r.ok ? null : r.partial.accessNumber).toBe(0x85);
    }
  });

  it("mode 7 with a key derivation other than 1 (CFG_EXT bits 5..4) → 'unsupported-security'", () => {
    const v = VARIANTS.find((x) => x.name.startsWith('AFL with 8-byte MAC'))!;
    for (const configExt of [0x00, 0x20, 0x30]) {
      const spec = specOf(MC21, v, 'A');
      spec.tpl = { ...(spec.tpl as Extract<TplSpec, { header: 'short' }>), configExt };
      const r = decodeTelegram(encodeTelegram(spec), { keys: KEYS });
      expect(r.ok).toBe(false);
      expect(codes(r), `CFG_EXT ${configExt}`).toContain('unsupported-security');
      expect(r.ok ? null : r.partial.address).toEqual(MC21.address);
    }
  });
});

describe('damaged format A frames', () => {
  const cases = [MC403, MC21, DME].flatMap((m) =>
    VARIANTS.filter((v) => v.name.startsWith('short header, mode 0') || v.name.startsWith('ELL II (8D) AES-CTR (key), TPL')).map(
      (v) => [m, v] as const,
    ),
  );
  for (const [m, v] of cases) {
    it(`${m.name}, ${v.name}: one flipped bit anywhere after L → 'bad-crc' at the CRC of its block`, () => {
      const good = encodeTelegram(specOf(m, v, 'A'));
      for (let i = 1; i < good.length; i++) {
        const bad = good.slice();
        bad[i]! ^= 1 << (i % 8);
        const r = decodeTelegram(bad, { keys: KEYS });
        expect(r.ok, `bit ${i % 8} of byte ${i}`).toBe(false);
        const crc = r.issues.filter((x) => x.code === 'bad-crc');
        expect(crc, `bit ${i % 8} of byte ${i}`).toHaveLength(1);
        expect(crc[0]!.offset, `bit ${i % 8} of byte ${i}`).toBe(formatABlockCrcAt(i, good.length));
        expect(r.raw).toBe(bad);
      }
    });
  }
});

describe('truncated telegrams', () => {
  const cases = METERS.flatMap((m) =>
    VARIANTS.filter((v) => !v.warningsAllowed && !v.dll).flatMap((v) => FRAMES.map((f) => [m, v, f] as const)),
  );
  for (const [m, v, frame] of cases) {
    it(`${m.name}, ${v.name}, format ${frame}: every prefix gives raw back and an error`, () => {
      const full = encodeTelegram(specOf(m, v, frame));
      const failures: string[] = [];
      for (let n = 1; n < full.length; n++) {
        const cut = full.slice(0, n);
        const r = decodeTelegram(cut, { keys: KEYS });
        expect(r.raw).toBe(cut);
        expect(r.issues.length, `length ${n}`).toBeGreaterThan(0);
        if (r.ok || errors(r).length === 0) failures.push(`${n}/${full.length}: ok ${r.ok}, issues ${codes(r).join(',')}`);
      }
      expect(failures).toEqual([]);
    });
  }

  it('issue offsets of every prefix point into the bytes received (hex inspector)', () => {
    const outside: string[] = [];
    for (const [m, v, frame] of cases) {
      const full = encodeTelegram(specOf(m, v, frame));
      for (let n = 1; n < full.length; n++) {
        const r = decodeTelegram(full.slice(0, n), { keys: KEYS });
        for (const i of r.issues) {
          if (i.offset !== undefined && (i.offset < 0 || i.offset > n)) {
            outside.push(`${m.name}, ${v.name}, format ${frame}, ${n} of ${full.length} bytes: ${i.code} at ${i.offset} (${i.message})`);
          }
        }
      }
    }
    expect(outside.slice(0, 5)).toEqual([]);
    expect(outside).toHaveLength(0);
  });
});

describe('mode 7 MAC (§2.3)', () => {
  const v = VARIANTS.find((x) => x.name.startsWith('AFL with 8-byte MAC'))!;
  const m = MC403;
  const good = encodeTelegram(specOf(m, v, 'none'));
  // DLL 10, CI 90, AFLL, FCL(2), MCL, MCR(4), MAC(8), then the TPL CI 7A
  const macAt = 10 + 2 + 2 + 1 + 4;
  const tplAt = macAt + 8;

  it('the untouched telegram verifies', () => {
    expect(good[10]).toBe(0x90);
    expect(good[tplAt]).toBe(0x7a);
    expect(value(decodeTelegram(good, { keys: KEYS })).afl?.mac).toHaveLength(8);
  });

  for (const [what, at] of [
    ['a MAC byte', macAt],
    ['the last MAC byte', macAt + 7],
    ['the TPL status byte (not encrypted, but authenticated)', tplAt + 2],
    ['the last encrypted byte', good.length - 1],
  ] as const) {
    it(`${what} changed → 'bad-mac', address in partial, no values`, () => {
      const bad = good.slice();
      bad[at]! ^= 0x40;
      const r = decodeTelegram(bad, { keys: KEYS });
      expect(r.ok).toBe(false);
      expect(codes(r)).toContain('bad-mac');
      expect(codes(r)).not.toContain('wrong-key');
      if (r.ok) return;
      expect(r.partial.address).toEqual(m.address);
      expect(r.partial.records ?? []).toEqual([]);
      expect(r.issues.find((i) => i.code === 'bad-mac')!.offset).toBe(macAt);
    });
  }
});

// ---------------------------------------------------------------------------------------------
// 4. Properties

/** Every telegram of the matrix, as received (with and without block CRCs). */
const CORPUS: Uint8Array[] = METERS.flatMap((m) => VARIANTS.flatMap((v) => FRAMES.map((f) => encodeTelegram(specOf(m, v, f)))));

const CIS = [0x72, 0x73, 0x78, 0x79, 0x7a, 0x7b, 0x8c, 0x8d, 0x8e, 0x8f, 0x90, 0x69, 0x6e, 0x70, 0x74, 0x7c, 0xa0, 0x00];

/** Random bytes shaped like a CRC-free telegram: L = length − 1 and a CI a layer knows. */
const shapedTelegram = fc
  .tuple(fc.uint8Array({ minLength: 10, maxLength: 200 }), fc.constantFrom(...CIS), fc.constantFrom(...CIS), fc.nat({ max: 30 }))
  .map(([body, ci, ci2, at2]) => {
    const b = new Uint8Array(body.length + 1);
    b.set(body, 1);
    b[0] = body.length;
    b[10] = ci;
    if (11 + at2 < b.length) b[11 + at2] = ci2;
    return b;
  });

/** A telegram of the corpus with one byte replaced by another value. */
const mutatedTelegram = fc
  .record({ k: fc.nat({ max: CORPUS.length - 1 }), at: fc.nat(), delta: fc.integer({ min: 1, max: 255 }) })
  .map(({ k, at, delta }) => {
    const b = CORPUS[k]!.slice();
    const i = at % b.length;
    b[i] = (b[i]! + delta) & 0xff;
    return b;
  });

function checkDecodes(bytes: Uint8Array, opts: Parameters<typeof decodeTelegram>[1]): void {
  const copy = bytes.slice();
  const r = decodeTelegram(bytes, opts);
  expect(r.raw).toBe(bytes);
  expect(bytes).toEqual(copy); // the input is never written to
  if (r.ok) {
    expect(errors(r)).toEqual([]);
    expect(r.value.address.id).toMatch(/^[0-9A-F]{8}$/);
  } else {
    expect(errors(r).length).toBeGreaterThan(0);
  }
}

/** fast-check runs per property: modest for a shared machine; ROUNDTRIP_RUNS=20000 for a deep fuzz. */
const RUNS = Number(process.env.ROUNDTRIP_RUNS ?? 300);

describe('properties', () => {
  const formats = (): CompactFormatTable => new CompactFormatTable();

  it('random bytes never make decodeTelegram throw, and raw is the input', () => {
    const table = formats();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.constantFrom('auto', 'present', 'absent' as const), (bytes, crcs) => {
        checkDecodes(bytes, { keys: KEYS, formats: table, crcs });
      }),
      { numRuns: RUNS },
    );
  });

  it('random telegram-shaped bytes (L and CIs set) never make decodeTelegram throw', () => {
    const table = formats();
    fc.assert(
      fc.property(shapedTelegram, (bytes) => checkDecodes(bytes, { keys: KEYS, formats: table })),
      { numRuns: RUNS },
    );
  });

  it('valid telegrams with one byte changed never make decodeTelegram throw', () => {
    const table = formats();
    fc.assert(
      fc.property(mutatedTelegram, (bytes) => checkDecodes(bytes, { keys: KEYS, formats: table })),
      { numRuns: RUNS },
    );
  });

  it('one damaged byte in a CRC- or MAC-protected telegram never gives other values with ok: true', () => {
    // Protected: format A (its length tells it apart), format A/B with crcs: 'present', and
    // CRC-free frames whose ELL payload CRC (§2.2) or AFL MAC (§2.3) covers the data. Format B
    // under crcs: 'auto' is left out: a damaged format B frame has L = length − 1 like a
    // CRC-free one (§1.2, §1.7), see the report. A damaged frame may still decode "ok" with no
    // records (a CI turned manufacturer-specific gives a warning); only different values count.
    const silent: string[] = [];
    for (const m of METERS) {
      for (const v of VARIANTS) {
        for (const frame of FRAMES) {
          const sealed = (v.security.layer === 'ell' && v.security.state === 'decrypted') || v.afl !== undefined;
          const modes = frame === 'A' ? (['auto', 'present'] as const) : frame === 'B' ? (['present'] as const) : sealed ? (['auto'] as const) : [];
          if (modes.length === 0) continue;
          const good = encodeTelegram(specOf(m, v, frame));
          const want = JSON.stringify(shape(value(decodeTelegram(good, { keys: KEYS })).records));
          for (let i = 0; i < good.length; i++) {
            for (const delta of [0x01, 0x10, 0x80, 0xff]) {
              const bad = good.slice();
              bad[i] = (bad[i]! + delta) & 0xff;
              for (const crcs of modes) {
                const r = decodeTelegram(bad, { keys: KEYS, crcs });
                if (r.ok && r.value.records.length > 0 && JSON.stringify(shape(r.value.records)) !== want) {
                  silent.push(`${m.name}, ${v.name}, format ${frame}, crcs ${crcs}, byte ${i} + ${delta}: ${toHex(bad)}`);
                }
              }
            }
          }
        }
      }
    }
    expect(silent).toEqual([]);
  });

  it(
    'valid telegrams with one byte changed: every single decode returns (watchdog worker, no timing asserted)',
    async () => {
      // A synchronous endless loop cannot be interrupted inside this process, so the decoder is
      // bundled into a worker that reports after each call; the worker is stopped and the test
      // fails with the input that did not return when no report comes for HANG_MS. This is a
      // hang detector with a generous limit, not a speed assertion.
      const inputs = fc.sample(mutatedTelegram, { numRuns: RUNS, seed: 4242 });
      const results = await decodeInWatchedWorker(inputs, 20_000);
      expect(results).toHaveLength(inputs.length);
      const table = new CompactFormatTable();
      for (const [i, r] of results.entries()) {
        expect(r.threw, `input ${toHex(inputs[i]!)}`).toBeNull();
        expect(r.rawSame).toBe(true);
        expect(r.ok || r.errors > 0).toBe(true);
        // the worker ran this decoder: same verdict as in this process
        expect(r.ok, `input ${toHex(inputs[i]!)}`).toBe(decodeTelegram(inputs[i]!, { keys: KEYS, formats: table }).ok);
      }
    },
    60_000,
  );

  const INT_RANGE: Partial<Record<DataType, [number, number]>> = {
    int8: [-(2 ** 7), 2 ** 7 - 1],
    int16: [-(2 ** 15), 2 ** 15 - 1],
    int24: [-(2 ** 23), 2 ** 23 - 1],
    int32: [-(2 ** 31), 2 ** 31 - 1],
    int48: [-(2 ** 47), 2 ** 47 - 1],
    // int64 values are returned as numbers: exact within ±(2^53 − 1)
    int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  };
  const BCD_DIGITS: Partial<Record<DataType, number>> = { bcd2: 2, bcd4: 4, bcd6: 6, bcd8: 8, bcd12: 12 };
  /** VIFs whose scale is 10^0, so the decoded value is the raw value: kWh, m3, kW, m3/h, h. */
  const UNSCALED: [number[], string][] = [
    [[0x06], 'kWh'],
    [[0x16], 'm3'],
    [[0x2e], 'kW'],
    [[0x3e], 'm3/h'],
    [[0x22], 'h'],
  ];

  const intRecord = fc.constantFrom(...(Object.keys(INT_RANGE) as DataType[])).chain((type) => {
    const [min, max] = INT_RANGE[type]!;
    return fc.record({ type: fc.constant(type), value: fc.integer({ min, max }) });
  });
  const bcdRecord = fc.constantFrom(...(Object.keys(BCD_DIGITS) as DataType[])).chain((type) => {
    const digits = BCD_DIGITS[type]!;
    // a negative BCD value gives its top digit to the F sign nibble (§3.2)
    return fc.record({
      type: fc.constant(type),
      value: fc.oneof(fc.integer({ min: 0, max: 10 ** digits - 1 }), fc.integer({ min: -(10 ** (digits - 1) - 1), max: -1 })),
    });
  });
  const recordSpec = fc.record({
    data: fc.oneof(intRecord, bcdRecord),
    vif: fc.constantFrom(...UNSCALED),
    function: fc.constantFrom<RecordFunction>('instantaneous', 'maximum', 'minimum', 'error'),
    storage: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 2 ** 41 - 1 })),
    tariff: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 ** 20 - 1 })),
    subunit: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2 ** 10 - 1 })),
  });

  it('dates and times (types G, J, F, I in int16/24/32/48) round-trip through encodeRecords / decodeRecords', () => {
    const date = fc
      .record({ y: fc.integer({ min: 1981, max: 2080 }), mo: fc.integer({ min: 1, max: 12 }), d: fc.integer({ min: 1, max: 31 }) })
      .filter(({ y, mo, d }) => d <= new Date(Date.UTC(y, mo, 0)).getUTCDate());
    const time = fc.record({ h: fc.integer({ min: 0, max: 23 }), mi: fc.integer({ min: 0, max: 59 }), s: fc.integer({ min: 0, max: 59 }) });
    const p2 = (n: number) => String(n).padStart(2, '0');
    fc.assert(
      fc.property(date, time, fc.integer({ min: 0, max: 15 }), ({ y, mo, d }, { h, mi, s }, storage) => {
        const day = `${y}-${p2(mo)}-${p2(d)}`;
        const cases: [RecordSpec, string, string][] = [
          [{ type: 'int16', quantity: 'date', storage, value: day }, day, 'date'],
          [{ type: 'int32', quantity: 'datetime', storage, value: `${day}T${p2(h)}:${p2(mi)}` }, `${day}T${p2(h)}:${p2(mi)}`, 'datetime'],
          [{ type: 'int48', quantity: 'datetime', storage, value: `${day}T${p2(h)}:${p2(mi)}:${p2(s)}` }, `${day}T${p2(h)}:${p2(mi)}:${p2(s)}`, 'datetime'],
          [{ type: 'int24', quantity: 'datetime', storage, value: `${p2(h)}:${p2(mi)}:${p2(s)}` }, `${p2(h)}:${p2(mi)}:${p2(s)}`, 'time'],
        ];
        const bytes = encodeRecords(cases.map((c) => c[0]));
        const r = decodeRecords(bytes, 0, bytes.length);
        expect(r.issues).toEqual([]);
        expect(r.records.map((x) => [x.value, x.unit, x.storage])).toEqual(cases.map((c) => [c[1], c[2], storage]));
      }),
      { numRuns: RUNS },
    );
  });

  it('variable-length ASCII text (LVAR 00–BF, sent last character first) round-trips', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 }), (text) => {
        const bytes = encodeRecords([{ type: 'variable', vif: [0xfd, 0x0c], value: text }]);
        const r = decodeRecords(bytes, 0, bytes.length);
        expect(r.issues).toEqual([]);
        expect(r.records.map((x) => x.value)).toEqual([text]);
      }),
      { numRuns: RUNS },
    );
  });

  it('integer and BCD record values round-trip through encodeRecords / decodeRecords', () => {
    fc.assert(
      fc.property(fc.array(recordSpec, { minLength: 1, maxLength: 8 }), (list) => {
        const specs: RecordSpec[] = list.map((x) => ({
          type: x.data.type,
          value: x.data.value,
          vif: x.vif[0],
          function: x.function,
          storage: x.storage,
          tariff: x.tariff,
          subunit: x.subunit,
        }));
        const bytes = encodeRecords(specs);
        const r = decodeRecords(bytes, 0, bytes.length);
        expect(r.issues).toEqual([]);
        expect(shape(r.records).map(({ quantity: _q, ...rest }) => rest)).toEqual(
          list.map((x) => ({
            value: x.data.value,
            unit: x.vif[1],
            storage: x.storage,
            tariff: x.tariff,
            subunit: x.subunit,
            function: x.function,
          })),
        );
        // records tile the buffer: offsets and lengths as encoded
        let at = 0;
        for (const rec of r.records) {
          expect(rec.offset).toBe(at);
          at += rec.length;
        }
        expect(at).toBe(bytes.length);
      }),
      { numRuns: RUNS },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// The watchdog worker

interface WorkerResult {
  threw: string | null;
  rawSame: boolean;
  ok: boolean;
  errors: number;
}

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * The decoder, KeyRing and CompactFormatTable bundled to one CommonJS script by Vite's own build
 * (the entry file lives in a temporary directory, nothing is written to the repository).
 */
async function bundleDecoder(): Promise<string> {
  const { build } = await import('vite');
  const dir = mkdtempSync(join(tmpdir(), 'roundtrip-decoder-'));
  try {
    const entry = join(dir, 'entry.ts');
    writeFileSync(
      entry,
      [
        `export { decodeTelegram } from ${JSON.stringify(ROOT + 'shared/wmbus/telegram.ts')};`,
        `export { KeyRing } from ${JSON.stringify(ROOT + 'shared/wmbus/keyring.ts')};`,
        `export { CompactFormatTable } from ${JSON.stringify(ROOT + 'shared/wmbus/compact.ts')};`,
      ].join('\n'),
    );
    const out = await build({
      configFile: false,
      root: ROOT,
      logLevel: 'silent',
      build: { write: false, minify: false, ssr: entry, rollupOptions: { output: { format: 'cjs' } } },
    });
    const result = (Array.isArray(out) ? out[0] : out) as { output: { type: string; code?: string }[] };
    const chunk = result.output.find((o) => o.type === 'chunk');
    if (!chunk?.code) throw new Error('bundling the decoder gave no chunk');
    return chunk.code;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const WORKER_MAIN = `
const { parentPort, workerData } = require('node:worker_threads');
const { decodeTelegram, KeyRing, CompactFormatTable } = module.exports;
const keys = new KeyRing();
for (const k of workerData.keys) keys.set({ manufacturer: k.manufacturer, id: k.id }, k.key);
const formats = new CompactFormatTable();
parentPort.on('message', (frames) => {
  for (const f of frames) {
    let threw = null, rawSame = false, ok = false, errors = 0;
    try {
      const r = decodeTelegram(f, { keys, formats });
      rawSame = r.raw === f;
      ok = r.ok;
      errors = r.issues.filter((i) => i.severity === 'error').length;
    } catch (e) {
      threw = String((e && e.stack) || e);
    }
    parentPort.postMessage({ threw, rawSame, ok, errors });
  }
});
`;

async function decodeInWatchedWorker(frames: Uint8Array[], hangMs: number): Promise<WorkerResult[]> {
  const code = `const module = { exports: {} };\n(function (module, exports) {\n${await bundleDecoder()}\n})(module, module.exports);\n${WORKER_MAIN}`;
  const worker = new Worker(code, {
    eval: true,
    workerData: { keys: METERS.map((m) => ({ manufacturer: m.address.manufacturer, id: m.address.id, key: m.key })) },
  });
  const results: WorkerResult[] = [];
  try {
    return await new Promise<WorkerResult[]>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          const i = results.length;
          reject(new Error(`decodeTelegram did not return within ${hangMs} ms for input #${i}: ${toHex(frames[i]!)}`));
        }, hangMs);
      };
      worker.on('message', (m: WorkerResult) => {
        results.push(m);
        if (results.length === frames.length) {
          clearTimeout(timer);
          resolve(results);
        } else arm();
      });
      worker.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      arm();
      worker.postMessage(frames);
    });
  } finally {
    await worker.terminate();
  }
}
