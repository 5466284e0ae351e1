import { describe, expect, it } from 'vitest';
import { GENERIC_DIGITAL_OUTPUT, parseValveProfile, switchValve, valveState } from '../../../shared/mbus/valve';
import { MbusMaster } from '../../../shared/mbus/master';
import type { MbusLink } from '../../../shared/mbus/link';
import { longFrame } from '../../../shared/mbus/link';
import { decodeMbusFrame } from '../../../shared/mbus/frame';
import type { MbusFrame } from '../../../shared/mbus/frame';
import { fromHex, toHex } from '../../../shared/bytes/hex';
import { SimBus, SimLine, VirtualTimers } from '../../../shared/mbus/sim';
import type { SimMbusMeter } from '../../../shared/mbus/sim';

/** RSP_UD of meter 12345678 (KAM, water) with the given record bytes. */
function rsp(records: string): Uint8Array {
  return longFrame(0x08, 7, 0x72, fromHex('78563412' + '2D2C' + '1B16' + '01000000' + records));
}
function decoded(records: string): MbusFrame {
  const d = decodeMbusFrame(rsp(records));
  if (!d.ok) throw new Error(d.issues.map((i) => i.message).join('; '));
  return d.value;
}

describe('valve profiles', () => {
  it('the generic profile is EN 13757-3 digital output / input (protocols.md §8.9)', () => {
    expect(GENERIC_DIGITAL_OUTPUT).toEqual({
      id: 'en13757-digital-output',
      name: expect.any(String),
      open: { ci: 0x51, data: '01FD1A01' },
      close: { ci: 0x51, data: '01FD1A00' },
      state: { difvif: '01FD1B', mask: 1, openValue: 1 }
    });
    expect(parseValveProfile(JSON.parse(JSON.stringify(GENERIC_DIGITAL_OUTPUT)))).toEqual(GENERIC_DIGITAL_OUTPUT);
  });

  it('reads the state from the digital input record', () => {
    expect(valveState(GENERIC_DIGITAL_OUTPUT, decoded('0413D0070000' + '01FD1B01'))).toBe('open');
    expect(valveState(GENERIC_DIGITAL_OUTPUT, decoded('0413D0070000' + '01FD1B00'))).toBe('closed');
    expect(valveState(GENERIC_DIGITAL_OUTPUT, decoded('01FD1B02'))).toBe('closed'); // other bits do not count
    expect(valveState(GENERIC_DIGITAL_OUTPUT, decoded('0413D0070000'))).toBe('unknown');
  });

  it('a configured profile (e.g. a vendor valve) with normalised hex and a multi-bit state', () => {
    const p = parseValveProfile({
      id: 'kamstrup-thermal-disconnect',
      name: 'Kamstrup Thermal Disconnect (site configuration)',
      open: { ci: 0x51, data: '0d ff 5f 02 01 01' },
      close: { ci: 0x51, data: '0DFF5F020100' },
      state: { difvif: '02ff20', mask: 0x0300, openValue: 0x0100 }
    });
    expect(p.open.data).toBe('0DFF5F020101');
    expect(p.state.difvif).toBe('02FF20');
    expect(valveState(p, decoded('02FF200101'))).toBe('open');
    expect(valveState(p, decoded('02FF200102'))).toBe('closed');
  });

  it('rejects bad profiles naming each field', () => {
    const good = JSON.parse(JSON.stringify(GENERIC_DIGITAL_OUTPUT));
    expect(() => parseValveProfile({ ...good, id: 'Bad Id' })).toThrow(/^valve profile: id: expected 1-64 characters/);
    expect(() => parseValveProfile({ ...good, open: { ci: 0x51, data: '01FD1' } })).toThrow(/open\.data: expected hex bytes/);
    expect(() => parseValveProfile({ ...good, open: { ci: 300, data: '01' } })).toThrow(/open\.ci: /);
    expect(() => parseValveProfile({ ...good, state: { difvif: '01', mask: 1, openValue: 1 } })).toThrow(/state\.difvif: expected at least a DIF and a VIF/);
    expect(() => parseValveProfile({ ...good, state: { difvif: '01FD1B', mask: 1, openValue: 2 } })).toThrow(/state\.openValue: has bits outside state\.mask/);
    expect(() => parseValveProfile({ ...good, close: good.open })).toThrow(/close: open and close send the same frame/);
    expect(() => parseValveProfile(null)).toThrow(/^valve profile: /);
  });
});

describe('switchValve against a scripted valve meter', () => {
  it('opens and closes with the generic profile and reads the state back', async () => {
    let valve = 0;
    const sent: string[] = [];
    let queue: Uint8Array[] = [];
    const link: MbusLink = {
      async write(b) {
        sent.push(toHex(b));
        if (b[0] === 0x10 && b[1] === 0x40) queue.push(Uint8Array.of(0xe5));
        else if (b[0] === 0x10) queue.push(rsp('0413D0070000' + '01FD1B0' + valve));
        else if (b[0] === 0x68 && b[6] === 0x51 && b[7] === 0x01 && b[8] === 0xfd && b[9] === 0x1a) {
          valve = b[10] & 1;
          queue.push(Uint8Array.of(0xe5));
        }
      },
      async read() {
        return queue.shift() ?? null;
      },
      discard() {
        queue = [];
      }
    };
    const m = new MbusMaster(link, { baud: 2400, timeScale: 50 });
    expect(await switchValve(m, { primary: 7 }, GENERIC_DIGITAL_OUTPUT, 'open')).toMatchObject({ state: 'open' });
    expect(valve).toBe(1);
    const closed = await switchValve(m, { primary: 7 }, GENERIC_DIGITAL_OUTPUT, 'close');
    expect(closed.state).toBe('closed');
    expect(closed.frames).toHaveLength(1);
    expect(sent[0]).toBe('68070768530751' + '01FD1A01' + 'C416');
    expect(sent[3]).toBe('68070768530751' + '01FD1A00' + 'C316');
  });
});

describe('switchValve on the simulated bus', () => {
  it('closes and opens a valve meter with the generic profile; the bus and the read-back agree', async () => {
    const meters: SimMbusMeter[] = [
      { model: 'multical-403', primaryAddress: 21, id: '40302010', valve: true },
      { model: 'multical-603', primaryAddress: 22, id: '40302011', valve: true }
    ];
    const start = Date.UTC(2026, 0, 1);
    const bus = new SimBus({ meters, startEpochMs: start });
    const line = new SimLine(bus, { baud: 2400, timers: new VirtualTimers({ startMs: start, idle: (f) => setImmediate(f) }) });
    const m = new MbusMaster(line, { baud: 2400 });
    expect(bus.valve('40302010')).toBe('open');
    const closed = await switchValve(m, { primary: 21 }, GENERIC_DIGITAL_OUTPUT, 'close');
    expect(closed.state).toBe('closed');
    expect(bus.valve('40302010')).toBe('closed');
    expect(bus.valve('40302011')).toBe('open');
    // By secondary address, on the multi-telegram meter (state in its last telegram).
    const target = { secondary: '403020112D2C3504' };
    expect((await switchValve(m, target, GENERIC_DIGITAL_OUTPUT, 'close')).state).toBe('closed');
    const opened = await switchValve(m, target, GENERIC_DIGITAL_OUTPUT, 'open');
    expect(opened.state).toBe('open');
    expect(opened.frames).toHaveLength(3);
    expect(bus.valve('40302011')).toBe('open');
  });

  it('a meter without a valve acknowledges the write but its state stays unknown', async () => {
    const start = Date.UTC(2026, 0, 1);
    const bus = new SimBus({ meters: [{ model: 'oms-water', primaryAddress: 3, id: '70000001' }], startEpochMs: start });
    const line = new SimLine(bus, { baud: 9600, timers: new VirtualTimers({ startMs: start, idle: (f) => setImmediate(f) }) });
    const r = await switchValve(new MbusMaster(line, { baud: 9600 }), { primary: 3 }, GENERIC_DIGITAL_OUTPUT, 'close');
    expect(r.state).toBe('unknown');
    expect(bus.valve('70000001')).toBeUndefined();
  });
});
