// One simulated slave on the bus: its link state (EN 13757-2 FCB, selection, primary address,
// baud rate) and how it answers the master frames addressed to it. The bus (bus.ts) decides who
// hears a frame and superposes the answers.

import { encodeRecords } from '../encode-records.js';
import { ACK, C, longFrame } from '../link.js';
import { BAUD_CI, manufacturerCode, secondaryOf } from '../requests.js';
import { MODEL_DEFAULTS, physicsOf, registersOf } from './models.js';
import type { SimMbusMeter, SimPhysics, SimReading } from './models.js';

const HEX = '0123456789ABCDEF';
const hex2 = (n: number): string => HEX[(n >> 4) & 15] + HEX[n & 15];

/** Secondary address "IIIIIIIIMMMMVVTT" of a configured meter (contract A's format). */
export function secondaryAddressOf(meter: SimMbusMeter): string {
  const d = MODEL_DEFAULTS[meter.model];
  return secondaryOf({
    manufacturer: meter.manufacturer ?? d.manufacturer,
    id: meter.id,
    version: meter.version ?? d.version,
    deviceType: meter.deviceType ?? d.deviceType,
  });
}

/** CI B8..BF → baud rate (EN 13757-2 via protocols.md §8.8), the inverse of BAUD_CI. */
export const BAUD_BY_CI: Readonly<Record<number, number>> = Object.fromEntries(Object.entries(BAUD_CI).map(([baud, ci]) => [ci, Number(baud)]));

/** How long after an answer a REQ_UD2 with the same FCB still means "repeat it". */
export const REPEAT_WINDOW_MS = 10_000;

export class SimMeter {
  readonly config: SimMbusMeter;
  readonly physics: SimPhysics;
  readonly secondary: string;
  primaryAddress: number;
  baud: number | undefined;
  selected = false;
  valveOpen: boolean | undefined;
  /** FCB of the last REQ_UD2 with FCV set; null after SND_NKE (the next one starts a new read). */
  #fcb: boolean | null = null;
  /** Index of the telegram in #last (multi-telegram position), −1 before the first. */
  #telegram = -1;
  #telegramCount = 1;
  #last: Uint8Array | null = null;
  #lastAt = -Infinity;
  #access: number;
  readonly #startEpochMs: number;

  constructor(config: SimMbusMeter, startEpochMs: number) {
    if (!/^\d{8}$/.test(config.id)) throw new RangeError(`meter id: expected 8 digits, got "${config.id}"`);
    if (!Number.isInteger(config.primaryAddress) || config.primaryAddress < 0 || config.primaryAddress > 250) {
      throw new RangeError(`meter ${config.id}: primary address expected 0..250, got ${config.primaryAddress}`);
    }
    this.config = config;
    this.physics = physicsOf(config);
    this.secondary = secondaryAddressOf(config);
    this.primaryAddress = config.primaryAddress;
    this.baud = config.baud;
    this.valveOpen = config.valve ? true : undefined;
    this.#access = Number(config.id.slice(-2));
    this.#startEpochMs = startEpochMs;
  }

  reading(nowMs: number): SimReading {
    return registersOf(this.config, this.physics, this.#startEpochMs, nowMs, this.valveOpen).reading;
  }

  /** SND_NKE: link reset (§8.3); the next REQ_UD2 starts at the first telegram. */
  linkReset(): Uint8Array {
    this.#fcb = null;
    this.#telegram = -1;
    return Uint8Array.of(ACK);
  }

  /** Application reset (CI 50, §8.8): back to the default datagram and its first telegram. */
  applicationReset(): Uint8Array {
    this.#fcb = null;
    this.#telegram = -1;
    return Uint8Array.of(ACK);
  }

  /**
   * REQ_UD2 (§8.7). With FCV set, the same FCB as the previous request repeats the previous
   * telegram (the master lost it); a toggled FCB gives the next one. Without FCV every request
   * is a new one. After the last telegram of a multi-telegram answer the next starts over.
   * Sim choice: the link state lasts REPEAT_WINDOW_MS after an answer (a master retries or asks
   * for the next telegram within its answer timeout). A request after a longer pause comes from
   * a master that started afresh, perhaps without SND_NKE (libmbus' request-data always sends
   * 5B): it is a new read from the first telegram, as a link reset would give.
   */
  requestData(c: number, nowMs: number): Uint8Array {
    const fcv = (c & C.FCV) !== 0;
    const fcb = (c & C.FCB) !== 0;
    const recent = nowMs - this.#lastAt <= REPEAT_WINDOW_MS && nowMs >= this.#lastAt;
    if (!recent) this.linkReset();
    if (fcv && this.#fcb !== null && this.#fcb === fcb && this.#last) return this.#last;
    if (fcv) this.#fcb = fcb;
    this.#lastAt = nowMs;
    const next = this.#telegram + 1 < this.#telegramCount && this.#telegram >= 0 ? this.#telegram + 1 : 0;
    this.#last = this.#telegramFrame(next, nowMs);
    return this.#last;
  }

  #telegramFrame(index: number, nowMs: number): Uint8Array {
    const regs = registersOf(this.config, this.physics, this.#startEpochMs, nowMs, this.valveOpen);
    this.#telegramCount = regs.telegrams.length;
    this.#telegram = index;
    const records = encodeRecords(regs.telegrams[index], { moreRecordsFollow: index < regs.telegrams.length - 1 });
    this.#access = (this.#access + 1) & 0xff;
    const d = MODEL_DEFAULTS[this.config.model];
    const m = manufacturerCode(this.config.manufacturer ?? d.manufacturer);
    const id = this.config.id;
    // CI 72 long transport header (§8.2): ID (BCD, LE) M VER TYPE ACC STS SIG(2)
    const header = Uint8Array.of(
      parseInt(id.slice(6, 8), 16),
      parseInt(id.slice(4, 6), 16),
      parseInt(id.slice(2, 4), 16),
      parseInt(id.slice(0, 2), 16),
      m & 0xff,
      m >> 8,
      this.config.version ?? d.version,
      this.config.deviceType ?? d.deviceType,
      this.#access,
      0x00,
      0x00,
      0x00,
    );
    const data = new Uint8Array(header.length + records.length);
    data.set(header);
    data.set(records, header.length);
    return longFrame(C.RSP_UD, this.primaryAddress, 0x72, data);
  }

  /**
   * Secondary selection (§8.5): 8 bytes ID M VER TYPE, least significant byte first for CI 52,
   * most significant first for CI 56. F nibbles of the ID and FF bytes elsewhere are wildcards.
   */
  matchesSelection(ci: number, data: Uint8Array): boolean {
    if (data.length !== 8) return false;
    const msbFirst = ci === 0x56;
    const idBytes = msbFirst ? [data[0], data[1], data[2], data[3]] : [data[3], data[2], data[1], data[0]];
    const mask = idBytes.map(hex2).join('');
    for (let i = 0; i < 8; i++) if (mask[i] !== 'F' && mask[i] !== this.secondary[i]) return false;
    // the secondary text holds the manufacturer bytes in line order (low byte first, requests.ts)
    const m = msbFirst ? [data[5], data[4]] : [data[4], data[5]];
    const rest = [m[0], m[1], data[6], data[7]];
    for (let i = 0; i < 4; i++) {
      if (rest[i] === 0xff) continue;
      if (hex2(rest[i]) !== this.secondary.slice(8 + 2 * i, 10 + 2 * i)) return false;
    }
    return true;
  }
}
