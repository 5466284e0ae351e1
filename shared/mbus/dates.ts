// EN 13757-3 Annex A date/time types, protocols.md §3.7 (TV-16):
//   G  date,           16 bit → "2019-10-31"
//   J  time,           24 bit → "13:45:10"
//   F  date + time,    32 bit → "2024-01-15T11:46"
//   I  date + time,    48 bit → "2024-01-15T11:46:07"
// Bytes are given least significant first, as they are in the frame. The text is always
// built from the fields as sent; `valid` is false for out-of-range fields, the "not set"
// all-ones pattern and a set IV (invalid) bit, so the caller can flag it.

export interface DateTimeText {
  text: string;
  valid: boolean;
}

const PAD2: readonly string[] = Array.from({ length: 100 }, (_, i) => (i < 10 ? '0' : '') + i);

function pad2(n: number): string {
  return n < 100 ? PAD2[n] : String(n);
}

/** Year from the 7 split bits (EN 13757-3 Annex A); 0..80 read as 20yy (wmbusmeters, libmbus). */
function year(lowByte: number, highByte: number, hundreds: number): number {
  const y = ((lowByte & 0xe0) >> 5) | ((highByte & 0xf0) >> 1);
  if (hundreds !== 0) return 1900 + 100 * hundreds + y;
  return y <= 80 ? 2000 + y : 1900 + y;
}

function dateText(y: number, month: number, day: number): string {
  return `${y}-${pad2(month)}-${pad2(day)}`;
}

function dayOk(y: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const days = month === 2 ? (y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28) : 30 + ((month + (month >> 3)) & 1);
  return day <= days;
}

/** Type G: lo bits 0–4 day, 5–7 year 0–2; hi bits 0–3 month, 4–7 year 3–6. `7F 2A` → 2019-10-31. */
export function decodeDateG(lo: number, hi: number): DateTimeText {
  const day = lo & 0x1f;
  const month = hi & 0x0f;
  const y = year(lo, hi, 0);
  return { text: dateText(y, month, day), valid: dayOk(y, month, day) && !(lo === 0xff && hi === 0xff) };
}

/** Type J: seconds, minutes, hours. */
export function decodeTimeJ(b0: number, b1: number, b2: number): DateTimeText {
  const s = b0 & 0x3f;
  const m = b1 & 0x3f;
  const h = b2 & 0x1f;
  return { text: `${pad2(h)}:${pad2(m)}:${pad2(s)}`, valid: s < 60 && m < 60 && h < 24 };
}

/**
 * Type F: b0 minute (bit 7 IV = invalid), b1 hour (bits 5–6 hundred years, bit 7 summer time),
 * b2/b3 as type G. `2E 2B 0F 31` → 2024-01-15T11:46.
 */
export function decodeDateTimeF(b0: number, b1: number, b2: number, b3: number): DateTimeText {
  const minute = b0 & 0x3f;
  const hour = b1 & 0x1f;
  const day = b2 & 0x1f;
  const month = b3 & 0x0f;
  const y = year(b2, b3, (b1 >> 5) & 0x03);
  const valid = (b0 & 0x80) === 0 && minute < 60 && hour < 24 && dayOk(y, month, day);
  return { text: `${dateText(y, month, day)}T${pad2(hour)}:${pad2(minute)}`, valid };
}

/**
 * Type I: b0 second, b1 minute (bit 7 IV), b2 hour (bits 5–7 day of week), b3/b4 date as
 * type G, b5 week and daylight-saving bits (not shown).
 */
export function decodeDateTimeI(b0: number, b1: number, b2: number, b3: number, b4: number): DateTimeText {
  const second = b0 & 0x3f;
  const minute = b1 & 0x3f;
  const hour = b2 & 0x1f;
  const day = b3 & 0x1f;
  const month = b4 & 0x0f;
  const y = year(b3, b4, 0);
  const valid = (b1 & 0x80) === 0 && second < 60 && minute < 60 && hour < 24 && dayOk(y, month, day);
  return { text: `${dateText(y, month, day)}T${pad2(hour)}:${pad2(minute)}:${pad2(second)}`, valid };
}

function parseParts(text: string): number[] | undefined {
  const parts = text.split(/[-T:]/).map(Number);
  return parts.every((n) => Number.isInteger(n) && n >= 0) ? parts : undefined;
}

function yearBits(y: number): number {
  if (y < 1981 || y > 2080) throw new RangeError(`date: year ${y} outside 1981..2080`);
  return y >= 2000 ? y - 2000 : y - 1900;
}

/** Inverse of decodeDateG: "2019-10-31" → [0x7F, 0x2A]. Throws RangeError on misuse. */
export function encodeDateG(text: string): [number, number] {
  const p = parseParts(text);
  if (!p || p.length !== 3) throw new RangeError(`date: expected "YYYY-MM-DD", got "${text}"`);
  const yy = yearBits(p[0]);
  return [(p[2] & 0x1f) | ((yy & 0x07) << 5), (p[1] & 0x0f) | ((yy & 0x78) << 1)];
}

/** Inverse of decodeDateTimeF: "2024-01-15T11:46" → [0x2E, 0x2B, 0x0F, 0x31]. */
export function encodeDateTimeF(text: string): [number, number, number, number] {
  const p = parseParts(text);
  if (!p || p.length !== 5) throw new RangeError(`datetime: expected "YYYY-MM-DDThh:mm", got "${text}"`);
  const [lo, hi] = encodeDateG(`${p[0]}-${p[1]}-${p[2]}`);
  // hundred-year bits = 1 for 20yy, as Kamstrup meters send it (TV-16 `2E 2B 0F 31`)
  return [p[4] & 0x3f, (p[3] & 0x1f) | (p[0] >= 2000 && p[0] < 2100 ? 0x20 : 0), lo, hi];
}

/** Inverse of decodeDateTimeI: "2024-01-15T11:46:07" → 6 bytes (week and DST bits 0). */
export function encodeDateTimeI(text: string): [number, number, number, number, number, number] {
  const p = parseParts(text);
  if (!p || p.length !== 6) throw new RangeError(`datetime: expected "YYYY-MM-DDThh:mm:ss", got "${text}"`);
  const [lo, hi] = encodeDateG(`${p[0]}-${p[1]}-${p[2]}`);
  return [p[5] & 0x3f, p[4] & 0x3f, p[3] & 0x1f, lo, hi, 0];
}

/** Inverse of decodeTimeJ: "13:45:10" → [10, 45, 13]. */
export function encodeTimeJ(text: string): [number, number, number] {
  const p = parseParts(text);
  if (!p || p.length !== 3) throw new RangeError(`time: expected "hh:mm:ss", got "${text}"`);
  return [p[2] & 0x3f, p[1] & 0x3f, p[0] & 0x1f];
}
