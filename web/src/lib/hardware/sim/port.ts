// A simulated IMST iM871A behind a fake port: a Transport whose readable carries the stick's
// HCI bytes (protocols.md §6.1) at the simulation's times, in arbitrary chunks like a USB serial
// port, and whose write takes HCI commands and answers them as the stick does. Telegrams are
// delivered only in the link mode the host set (C1, T1 or C1+T1), with RSSI and timestamp
// attached as configured. The whole chain (framer → device → decoder) runs against it.
//
// Answers (not from a capture; shaped after wmbusmeters `src/wmbus_im871a.cc`, which reads them):
//   ping → 02 (empty); set config → 04 with status 00; get config → 06 with IIFLAG1 03 (device
//   mode, link mode) and IIFLAG2 30 (RSSI, timestamp attachment); device info → 10 with module
//   type, device mode, firmware 0x15 (> 0x13, so C1+T1 works), HCI version, a 4-byte id;
//   reset → 08 with status 00 (RAM settings lost). Other requests get no answer.

import { CleanupStack, TransportError, WriteQueue, type Transport } from '../transport';
import { buildHciFrame, buildRxIndication, DevMgmtMsg, HciEndpoint, HciLinkMode, hciRules, type HciFrame } from '../devices/im871a-hci';
import { Framer } from '../devices/framing';
import { virtualClock, type SimClock } from './clock';
import type { DriveBySimulation } from './drive-by';
import { Rng } from './random';
import type { SimEvent } from './types';

export interface SimPortOptions {
  /**
   * Default: a virtual clock (as fast as the reader takes the bytes). Either way virtual time
   * starts with the host's first read, so commands written before it are answered first.
   */
  clock?: SimClock;
  /** Link mode in force before the host sets one (as stored in the stick's NVM); default none: nothing is delivered. */
  linkMode?: number | null;
  /** Seed of the USB chunking; default 1. */
  chunkSeed?: number;
  /** How far the model is advanced per step, virtual ms; default 1000. */
  stepMs?: number;
  /** Virtual time after which the readable closes (end of a test drive); default never. */
  endMs?: number;
  /** Sees every telegram the radio delivered to the stick, and whether the link mode let it through. */
  onEvent?: (event: SimEvent, delivered: boolean) => void;
  label?: string;
}

const C1_MODES: readonly number[] = [HciLinkMode.C1A, HciLinkMode.C1B, HciLinkMode.C1T1];
const T1_MODES: readonly number[] = [HciLinkMode.T1, HciLinkMode.C1T1];

export class SimIm871aPort implements Transport {
  readonly label: string;
  readonly readable: ReadableStream<Uint8Array>;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #pulled: (() => void) | null = null;
  #demand = false; // the reader asked for bytes since the last enqueue
  readonly #sim: DriveBySimulation;
  readonly #o: SimPortOptions;
  readonly #clock: SimClock;
  readonly #chunks: Rng;
  readonly #writes = new WriteQueue();
  readonly #commands = new Framer(hciRules);
  #cleanup = new CleanupStack();
  #state: 'idle' | 'open' | 'closed' = 'idle';
  #stored: number | null;
  #linkMode: number | null;
  #rssi = true;
  #timestamp = false;

  constructor(sim: DriveBySimulation, o: SimPortOptions = {}) {
    this.#sim = sim;
    this.#o = o;
    this.#clock = o.clock ?? virtualClock();
    this.#chunks = new Rng(o.chunkSeed ?? 1);
    this.#stored = o.linkMode ?? null;
    this.#linkMode = this.#stored;
    this.label = o.label ?? 'Simulated iM871A (drive-by)';
    this.readable = new ReadableStream<Uint8Array>(
      {
        start: (c) => {
          this.#controller = c;
        },
        pull: () => {
          this.#demand = true;
          this.#pulled?.();
          this.#pulled = null;
        },
        cancel: () => this.close(),
      },
      { highWaterMark: 0 },
    );
  }

  /** The link mode in force (HciLinkMode), or null before the host set one. */
  get linkMode(): number | null {
    return this.#linkMode;
  }

  async open(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw new TransportError('io', `${this.label}: open aborted`, { cause: signal.reason });
    if (this.#state !== 'idle') throw new TransportError('busy', `${this.label}: already ${this.#state === 'open' ? 'open' : 'closed'}`);
    this.#state = 'open';
    const stop = new AbortController();
    this.#cleanup.push(() => stop.abort(new DOMException('closed', 'AbortError')));
    void this.#pump(stop.signal);
  }

  write(bytes: Uint8Array): Promise<void> {
    return this.#writes.run(async () => {
      if (this.#state !== 'open') throw new TransportError('io', `${this.label}: write while ${this.#state}`);
      for (const e of this.#commands.push(bytes.slice())) if (e.type === 'frame') this.#answer(e.frame);
    });
  }

  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    await this.#cleanup.run();
    this.#pulled?.();
    try {
      this.#controller.close();
    } catch {
      // already closed or cancelled by the reader
    }
  }

  async #pump(signal: AbortSignal): Promise<void> {
    const step = this.#o.stepMs ?? 1000;
    const end = this.#o.endMs ?? Infinity;
    try {
      await this.#room(signal); // time starts when the host first reads (answers to writes go out before)
      while (!signal.aborted) {
        const until = Math.min(this.#sim.doneMs + step, end);
        for (const e of this.#sim.advance(until)) {
          await this.#clock.waitUntil(e.atMs, signal);
          await this.#room(signal);
          this.#deliver(e);
        }
        await this.#clock.waitUntil(until, signal);
        if (until >= end) {
          await this.close();
          return;
        }
      }
    } catch (e) {
      if (signal.aborted) return;
      this.#controller.error(new TransportError('io', `${this.label}: simulation failed`, { cause: e }));
    }
  }

  /** Back-pressure: wait until the reader asks for more (a virtual clock never waits otherwise). */
  async #room(signal: AbortSignal): Promise<void> {
    while (!this.#demand && (this.#controller.desiredSize ?? 1) <= 0 && !signal.aborted) {
      await new Promise<void>((resolve) => (this.#pulled = resolve));
    }
  }

  #deliver(e: SimEvent): void {
    const mode = this.#linkMode;
    const ok = mode !== null && (e.mode === 'C1' ? C1_MODES : T1_MODES).includes(mode);
    this.#o.onEvent?.(e, ok);
    if (!ok || this.#state !== 'open') return;
    this.#send(
      buildRxIndication({
        telegram: e.telegram,
        rssiDbm: this.#rssi ? e.rssiDbm : undefined,
        timestampMs: this.#timestamp ? e.atMs : undefined,
      }),
    );
  }

  /** Enqueue in 1..64-byte pieces, as a USB-UART bridge hands bytes to the browser. */
  #send(bytes: Uint8Array): void {
    for (let at = 0; at < bytes.length; ) {
      const n = this.#chunks.int(1, 64);
      this.#controller.enqueue(bytes.slice(at, at + n));
      this.#demand = false;
      at += n;
    }
  }

  #reply(msgId: number, payload: number[] = []): void {
    this.#send(buildHciFrame({ endpoint: HciEndpoint.devMgmt, msgId, payload: Uint8Array.from(payload) }));
  }

  #answer(f: HciFrame): void {
    if (f.endpoint !== HciEndpoint.devMgmt) return;
    switch (f.msgId) {
      case DevMgmtMsg.pingReq:
        return this.#reply(DevMgmtMsg.pingRsp);
      case DevMgmtMsg.setConfigReq:
        this.#configure(f.payload);
        return this.#reply(DevMgmtMsg.setConfigRsp, [0x00]);
      case DevMgmtMsg.getConfigReq:
        return this.#reply(DevMgmtMsg.getConfigRsp, [0x03, 0x00, this.#linkMode ?? HciLinkMode.C1A, 0x30, this.#rssi ? 1 : 0, this.#timestamp ? 1 : 0]);
      case DevMgmtMsg.deviceInfoReq:
        return this.#reply(DevMgmtMsg.deviceInfoRsp, [0x33, 0x00, 0x15, 0x02, 0x78, 0x56, 0x34, 0x12]);
      case DevMgmtMsg.resetReq:
        this.#linkMode = this.#stored;
        this.#rssi = true;
        this.#timestamp = false;
        return this.#reply(DevMgmtMsg.resetRsp, [0x00]);
    }
  }

  /** Set config: NVM, IIFLAG1 and its fields, IIFLAG2 and its fields, one byte each (§6.1). */
  #configure(p: Uint8Array): void {
    let at = 0;
    const store = p[at++] === 1;
    const f1 = p[at++] ?? 0;
    if (f1 & 0x01) at++; // device mode
    if (f1 & 0x02) this.#linkMode = p[at++] ?? null;
    if (f1 & 0x04) at++; // C field
    if (f1 & 0x08) at += 2; // manufacturer
    if (f1 & 0x10) at += 4; // id
    if (f1 & 0x20) at++; // version
    if (f1 & 0x40) at++; // device type
    if (f1 & 0x80) at++; // radio channel
    const f2 = p[at++] ?? 0;
    for (let bit = 0x01; bit <= 0x80; bit <<= 1) {
      if (!(f2 & bit)) continue;
      const v = p[at++];
      if (bit === 0x10) this.#rssi = v === 1;
      if (bit === 0x20) this.#timestamp = v === 1;
    }
    if (store) this.#stored = this.#linkMode;
  }
}
