import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeMbusFrame } from '../../../shared/mbus/frame.js';

const bytes = (hex: string): Uint8Array => Uint8Array.from(hex.match(/../g)!.map((h) => parseInt(h, 16)));

// protocols.md §10 TV-10 (wmbusmeters simulations/simulation_mbus.txt), checksum D9
const TV10 =
  '68464668084a72447744772d2c3404060000000406ce86000004ff073444020004ff08f8ce0100041411680300043B0f02000002593c19025da41104ff220000000004a5ff21c7d02700d916';
// TV-11 (wmbusmeters drivers/src/kamheat.xmq, test Kamstrup_MC603_mbus), checksum A5
const TV11 =
  '68c9c96808e672323232322d2c35041900000004fB006083000004ff074006010004ff08299400000416984e010084401400000000848040140000000004225043000034221c0000000259c91f025d4f1102617a0e042e30020000142e65030000043c24050000143ce308000004ff2200000000046d2e2B0f3144fB00007d000044ff07Bdf9000044ff08308d00004416B73f0100c4401400000000c480401400000000542ed9020000543ce8090000426c013102ff1a011B0c783032858404ff16e5841e0004ff17c1d5B400a516';

describe('wired M-Bus frames (protocols.md §8.2)', () => {
  it('TV-10: MULTICAL 403 RSP_UD, address 74, id 77447744, 34510 kWh', () => {
    const r = decodeMbusFrame(bytes(TV10));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const f = r.value;
    expect(f).toMatchObject({ kind: 'long', control: 0x08, primaryAddress: 0x4a, ci: 0x72, accessNumber: 6, status: 0, config: 0 });
    expect(f.address).toEqual({ manufacturer: 'KAM', id: '77447744', version: 0x34, deviceType: 4 });
    const energy = f.records.find((x) => x.difvif === '0406')!;
    expect(energy.unit === 'kWh' ? energy.value : Number(energy.value) / 1000).toBe(34510);
    const t1 = f.records.find((x) => x.difvif === '0259')!;
    expect(t1.value).toBeCloseTo(64.6, 9);
  });

  it('TV-11: MULTICAL 603, address 230, fabrication number 84853230', () => {
    const r = decodeMbusFrame(bytes(TV11), { explain: true });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.primaryAddress).toBe(230);
    expect(r.value.address?.id).toBe('32323232');
    expect(r.value.records.some((x) => x.difvif === '0C78' && String(x.value) === '84853230')).toBe(true);
    expect(r.spans.find((s) => s.label === 'checksum')?.offset).toBe(bytes(TV11).length - 2);
  });

  it('a wrong checksum names both sums', () => {
    const b = bytes(TV10);
    b[b.length - 2] = 0xd8;
    const r = decodeMbusFrame(b);
    expect(r.ok).toBe(false);
    expect(r.issues[0]).toMatchObject({ code: 'bad-checksum', offset: b.length - 2 });
    expect(r.issues[0].message).toBe('checksum D8, computed D9');
  });

  it('short frames, ACK and requests (TV-15)', () => {
    expect(decodeMbusFrame(bytes('E5'))).toMatchObject({ ok: true, value: { kind: 'ack' } });
    expect(decodeMbusFrame(bytes('107B058016'))).toMatchObject({ ok: true, value: { kind: 'short', control: 0x7b, primaryAddress: 5 } });
    expect(decodeMbusFrame(bytes('107B058116')).issues[0].code).toBe('bad-checksum');
    expect(decodeMbusFrame(bytes('6803036853FE50A116'))).toMatchObject({ ok: true, value: { kind: 'control', ci: 0x50 } });
  });

  it('application errors (CI 70) and truncated frames are refused', () => {
    // CI 70 code 08 "application busy", checksum over 08 01 70 08 = 81
    const busy = decodeMbusFrame(bytes('68040468080170088116'));
    expect(busy.ok).toBe(false);
    expect(busy.issues[0].message).toContain('application busy');
    const cut = decodeMbusFrame(bytes(TV10).subarray(0, 40));
    expect(cut.ok).toBe(false);
    expect(cut.issues[0].code).toBe('truncated');
  });

  it('fixed data structure (CI 73): id, medium from the unit bytes, two BCD counters', () => {
    // Checksum computed for this frame: 08 05 73 | 78563412 0A 00 E9 7E 01000000 35010000
    const r = decodeMbusFrame(bytes('68131368080573785634120A00E97E01000000350100003C16'));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.fixed).toEqual({ id: '12345678', medium: 7 });
    expect(r.value.records.map((x) => [x.value, x.unit, x.storage])).toEqual([
      [1, 'l', 0],
      [135, 'l', 1]
    ]);
  });

  it('never throws on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.boolean(), (b, lead) => {
        const x = lead && b.length > 4 ? Uint8Array.from([0x68, b.length - 6, b.length - 6, 0x68, ...b.subarray(4)]) : b;
        return decodeMbusFrame(x).raw === x;
      }),
      { numRuns: 500 }
    );
  });
});
