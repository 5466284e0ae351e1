// Kamstrup key files, KEM and KEM2 (protocols.md §4.8): an XML Encryption document whose
// CipherValue is AES-128-CBC with the password's UTF-8 bytes, zero-padded to 16, as key and IV.
// A wrong password decrypts to bytes that are not UTF-8/XML: that is reported as a wrong
// password, never as a damaged file. The keys found go to the vault only.
import { createDecipheriv } from 'node:crypto';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { parseMeterKey } from '../store/keys.js';

export interface KemMeter {
  /** 1-based position in the file, for messages. */
  index: number;
  manufacturer: string;
  serial: string;
  /** MeterName (KEM) or ShortName (KEM2) as written, e.g. "MC21". */
  name: string | null;
  model: string | null;
  driver: string | null;
  medium: string | null;
  typeNumber: string | null;
  configNumber: string | null;
  key: Uint8Array | null;
  /** Why the meter cannot be imported (bad serial or key); never contains the key. */
  problem: string | null;
}

export type KemFailure = 'zip' | 'not-kem' | 'damaged' | 'wrong-password' | 'password-too-long' | 'no-meters';
export type KemResult = { ok: true; format: 'kem' | 'kem2'; meters: KemMeter[] } | { ok: false; reason: KemFailure; message: string };

const fail = (reason: KemFailure, message: string): KemResult => ({ ok: false, reason, message });

/** MeterName / ShortName → model and driver id (wmbusmeters kem-import.py names; our driver registry). */
const MODELS: [RegExp, string, string | null][] = [
  [/^MC ?21$/i, 'MULTICAL 21', 'kamstrup-multical21'],
  [/^MC ?302$/i, 'MULTICAL 302', 'kamstrup-multical302'],
  [/^MC ?303$/i, 'MULTICAL 303', 'kamstrup-multical303'],
  [/^MC ?402$/i, 'MULTICAL 402', 'kamstrup-multical402'],
  [/^MC ?403$/i, 'MULTICAL 403', 'kamstrup-multical403'],
  [/^MC ?602$/i, 'MULTICAL 602', 'kamstrup-multical602'],
  [/^MC ?603$/i, 'MULTICAL 603', 'kamstrup-multical603'],
  [/^MC ?803$/i, 'MULTICAL 803', 'kamstrup-multical803'],
  [/^KWM ?2210$/i, 'flowIQ 2200', 'kamstrup-flowiq2200'],
  [/^flowIQ ?2200$/i, 'flowIQ 2200', 'kamstrup-flowiq2200'],
  [/^OMNI/i, 'OMNIPOWER', 'kamstrup-omnipower']
];

const MEDIA: [RegExp, string][] = [
  [/cool|cold.*energy/i, 'cooling'],
  [/heat/i, 'heat'],
  [/water/i, 'water'],
  [/electric/i, 'electricity'],
  [/gas/i, 'gas']
];

export function decryptKem(file: Uint8Array, password: string): KemResult {
  if (file[0] === 0x50 && file[1] === 0x4b && file[2] === 0x03 && file[3] === 0x04) {
    return fail('zip', 'This is a zip archive: unpack the .kem or .kem2 file from it and import that.');
  }
  const outer = Buffer.from(file).toString('utf8');
  const m = /<(?:[\w.-]+:)?CipherValue\b[^>]*>([^<]*)<\/(?:[\w.-]+:)?CipherValue>/.exec(outer);
  if (!m) return fail('not-kem', 'The file has no XML Encryption CipherValue: it is not a Kamstrup KEM or KEM2 file.');
  const b64 = m[1]!.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) return fail('damaged', 'The CipherValue is not base64 text: the file is damaged.');
  const data = Buffer.from(b64, 'base64');
  if (!data.length || data.length % 16) {
    return fail('damaged', `The encrypted data is ${data.length} bytes, not a whole number of 16-byte AES blocks: the file is damaged.`);
  }
  const pw = Buffer.from(password, 'utf8');
  if (pw.length > 16) return fail('password-too-long', 'password: a KEM password has at most 16 bytes (UTF-8); this one is longer, so it is wrong.');
  const key = Buffer.alloc(16);
  pw.copy(key);
  const decipher = createDecipheriv('aes-128-cbc', key, key);
  decipher.setAutoPadding(false);
  const plain = Buffer.concat([decipher.update(data), decipher.final()]);

  const wrong = fail('wrong-password', 'Wrong password: the file does not decrypt with it.');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(plain);
  } catch {
    return wrong;
  }
  // padding (PKCS#7 or zero bytes) and stray control characters, as kem-import.py strips them
  text = text.replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g, '').replace(/^\uFEFF/, '').trim();
  if (!text.startsWith('<') || XMLValidator.validate(text) !== true) return wrong;

  const parser = new XMLParser({
    removeNSPrefix: true,
    parseTagValue: false,
    ignoreAttributes: true,
    trimValues: true,
    isArray: (name) => name === 'Meter' || name === 'Device'
  });
  const doc = parser.parse(text) as Record<string, unknown>;
  const rootName = Object.keys(doc).find((k) => k !== '?xml');
  const root = rootName ? (doc[rootName] as Record<string, unknown> | string) : undefined;
  if (rootName !== 'MetersInOrder' && rootName !== 'Devices') {
    return fail('no-meters', `The file decrypts, but holds no Kamstrup meter list (found <${rootName ?? 'nothing'}>, expected MetersInOrder or Devices).`);
  }
  const kem2 = rootName === 'Devices';
  const list = ((typeof root === 'object' && root ? root[kem2 ? 'Device' : 'Meter'] : undefined) ?? []) as Record<string, unknown>[];
  if (!list.length) return fail('no-meters', `The file decrypts, but lists no ${kem2 ? 'Device' : 'Meter'} elements.`);
  return { ok: true, format: kem2 ? 'kem2' : 'kem', meters: list.map((e, i) => toMeter(e, i + 1, kem2)) };
}

function textOf(v: unknown): string | null {
  if (typeof v === 'string') return v.trim() || null;
  if (typeof v === 'number') return String(v);
  return null;
}

/** The first element named `name` anywhere below `node` (KEM2 nests the key's Value). */
function find(node: unknown, name: string): unknown {
  if (!node || typeof node !== 'object') return undefined;
  const o = node as Record<string, unknown>;
  if (name in o) return o[name];
  for (const v of Object.values(o)) {
    const hit = find(v, name);
    if (hit !== undefined) return hit;
  }
  return undefined;
}

function toMeter(e: Record<string, unknown>, index: number, kem2: boolean): KemMeter {
  const get = (kem: string, k2: string) => textOf(find(e, kem2 ? k2 : kem));
  const name = get('MeterName', 'ShortName');
  const serial = get('SerialNo', 'SerialNumber') ?? '';
  const vendor = get('VendorId', 'ManufacturerId');
  const consumption = get('ConsumptionType', 'ConsumptionTypeName');
  const keyText = get('DEK', 'Value');
  const model = name ? (MODELS.find(([re]) => re.test(name)) ?? null) : null;
  let problem: string | null = null;
  let key: Uint8Array | null = null;
  if (!/^[0-9A-Za-z._-]{1,32}$/.test(serial)) problem = 'serial: missing or not 1-32 letters and digits';
  else if (!keyText) problem = 'key: the meter has no key in the file';
  else {
    const k = parseMeterKey(keyText);
    if (k.ok) key = k.key;
    else problem = `key: ${k.message}`;
  }
  return {
    index,
    manufacturer: vendor && /^[A-Za-z]{3}$/.test(vendor) ? vendor.toUpperCase() : 'KAM',
    serial,
    name,
    model: model ? model[1] : name,
    driver: model ? model[2] : null,
    medium: consumption ? (MEDIA.find(([re]) => re.test(consumption))?.[1] ?? consumption.toLowerCase().slice(0, 30)) : null,
    typeNumber: get('TypeNo', 'TypeNumber'),
    configNumber: get('ConfigNo', 'ConfigNumber'),
    key,
    problem
  };
}
