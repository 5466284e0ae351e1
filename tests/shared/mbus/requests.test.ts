import { describe, expect, it } from 'vitest';
import {
  applicationResetFrame,
  dataSendFrame,
  deselectFrame,
  isFullSecondary,
  manufacturerCode,
  matchesSecondaryMask,
  parseSecondaryMask,
  reqUd2,
  secondaryOf,
  selectFrame,
  selectionData,
  setBaudRateFrame,
  setPrimaryAddressFrame,
  sndNke,
  sndUd
} from '../../../shared/mbus/requests';
import { FrameReader } from '../../../shared/mbus/link';
import { decodeMbusFrame } from '../../../shared/mbus/frame';
import { fromHex, toHex } from '../../../shared/bytes/hex';

const TV10 = fromHex(
  '68464668084a72447744772d2c3404060000000406ce86000004ff073444020004ff08f8ce0100041411680300043B0f02000002593c19025da41104ff220000000004a5ff21c7d02700d916'
);

/** A frame goes through the stream reader whole and unchanged, and decodes to its fields. */
function roundTrip(frame: Uint8Array): { type: string; c?: number; a?: number; ci?: number } {
  const r = new FrameReader();
  for (const b of frame) r.push(Uint8Array.of(b));
  const units = r.take();
  expect(units).toHaveLength(1);
  const u = units[0];
  expect(u.kind).toBe('frame');
  expect(toHex(u.bytes)).toBe(toHex(frame));
  const d = decodeMbusFrame(frame);
  const f = d.ok ? d.value : d.partial;
  return { type: u.kind === 'frame' ? u.type : 'garbage', c: f.control, a: f.primaryAddress, ci: f.ci };
}

describe('master request frames (protocols.md §8.5, §8.8 vectors)', () => {
  it('SND_NKE and REQ_UD2 with both FCB values', () => {
    expect(toHex(sndNke(5))).toBe('1040054516');
    expect(toHex(reqUd2(5, true))).toBe('107B058016');
    expect(toHex(reqUd2(5, false))).toBe('105B056016');
    expect(toHex(reqUd2(0xfd, true))).toBe('107BFD7816');
    expect(toHex(deselectFrame())).toBe('1040FD3D16');
    expect(roundTrip(reqUd2(5, true))).toEqual({ type: 'short', c: 0x7b, a: 5, ci: undefined });
  });

  it('application reset, broadcast and with a sub-code', () => {
    expect(toHex(applicationResetFrame(0xfe))).toBe('6803036853FE50A116');
    expect(toHex(applicationResetFrame(1, 0))).toBe('6804046853015000A416');
    expect(roundTrip(applicationResetFrame(0xfe))).toEqual({ type: 'control', c: 0x53, a: 0xfe, ci: 0x50 });
    expect(() => applicationResetFrame(1, 256)).toThrow(/subcode: expected a byte 0..255, got 256/);
  });

  it('set primary address 1 → 5 and the address checks', () => {
    expect(toHex(setPrimaryAddressFrame(1, 5))).toBe('68060668530151017A052516');
    expect(roundTrip(setPrimaryAddressFrame(1, 5))).toEqual({ type: 'long', c: 0x53, a: 1, ci: 0x51 });
    expect(() => setPrimaryAddressFrame(1, 251)).toThrow(/next: expected a primary address 0..250, got 251/);
    expect(() => sndNke(252)).toThrow(/address: expected a primary address 0..250, got 252/);
    expect(() => reqUd2(-1, true)).toThrow(RangeError);
  });

  it('switch baud rate: CI B8..BF, 9600 = BD', () => {
    expect(toHex(setBaudRateFrame(1, 9600))).toBe('6803036853' + '01BD1116');
    expect(setBaudRateFrame(1, 300)[6]).toBe(0xb8);
    expect(setBaudRateFrame(1, 2400)[6]).toBe(0xbb);
    expect(setBaudRateFrame(1, 38400)[6]).toBe(0xbf);
    expect(() => setBaudRateFrame(1, 1000)).toThrow(/baud: expected one of 300, 600, 1200, 2400, 4800, 9600, 19200, 38400, got 1000/);
  });

  it('generic data write and SND_UD', () => {
    const f = dataSendFrame(7, fromHex('01FD1A01'));
    expect(toHex(f)).toBe('6807076853075101FD1A01' + 'C4' + '16');
    expect(roundTrip(f)).toEqual({ type: 'long', c: 0x53, a: 7, ci: 0x51 });
    expect(sndUd(7, 0x51, new Uint8Array(0), true)[4]).toBe(0x73);
    expect(() => sndUd(7, 300)).toThrow(/ci: expected a byte/);
  });

  it('secondary selection CI 52 (§8.5 vector) and CI 56 most significant byte first', () => {
    expect(toHex(selectFrame('12345678FFFFFFFF'))).toBe('680B0B6873FD5278563412FFFFFFFFD216');
    expect(roundTrip(selectFrame('12345678FFFFFFFF'))).toEqual({ type: 'long', c: 0x73, a: 0xfd, ci: 0x52 });
    expect(toHex(selectionData('774477442D2C3404'))).toBe('447744772D2C3404'); // as in TV-10's header
    expect(toHex(selectionData('774477442D2C3404', true))).toBe('774477442C2D3404'); // CI 56: manufacturer high byte first too
    const msb = selectFrame('774477442d2c3404', { msbFirst: true });
    expect(msb[6]).toBe(0x56);
    expect(roundTrip(msb).ci).toBe(0x56);
    expect(toHex(selectionData('1FFFFFFFFFFFFFFF'))).toBe('FFFFFF1FFFFFFFFF');
  });
});

describe('secondary addresses and masks', () => {
  it('secondaryOf prints the header of TV-10', () => {
    const d = decodeMbusFrame(TV10);
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    expect(secondaryOf(d.value.address!)).toBe('774477442D2C3404');
    expect(manufacturerCode('KAM')).toBe(0x2c2d);
    // The selection data of this address are the header bytes the meter sends.
    expect(toHex(selectionData(secondaryOf(d.value.address!)))).toBe(toHex(TV10.subarray(7, 15)));
  });

  it('rejects malformed masks with a sentence saying what is wrong', () => {
    expect(() => parseSecondaryMask('1234')).toThrow(/expected 16 hex characters .*got 4/);
    expect(() => parseSecondaryMask('1234A678FFFFFFFF')).toThrow(/ID digit 5 is "A", expected 0-9 or F/);
    expect(() => parseSecondaryMask('12345678FFFFFFFG')).toThrow(/character 16 \(device type\) is "G"/);
    expect(() => parseSecondaryMask('12345678XFFFFFFF')).toThrow(/character 9 \(manufacturer\)/);
    expect(parseSecondaryMask(' 12345678ffffffff ')).toBe('12345678FFFFFFFF');
    expect(() => secondaryOf({ manufacturer: 'kam', id: '12345678', version: 1, deviceType: 4 })).toThrow(/manufacturer: expected three letters/);
    expect(() => secondaryOf({ manufacturer: 'KAM', id: '1234', version: 1, deviceType: 4 })).toThrow(/address.id: expected 8 digits/);
  });

  it('matches addresses against masks as a meter does', () => {
    expect(matchesSecondaryMask('774477442D2C3404', 'FFFFFFFFFFFFFFFF')).toBe(true);
    expect(matchesSecondaryMask('774477442D2C3404', '7F44FFFFFFFFFFFF')).toBe(true);
    expect(matchesSecondaryMask('774477442D2C3404', '7F45FFFFFFFFFFFF')).toBe(false);
    expect(matchesSecondaryMask('774477442D2C3404', 'FFFFFFFF2D2CFF04')).toBe(true);
    expect(matchesSecondaryMask('774477442D2C3404', 'FFFFFFFF2D2CFF07')).toBe(false);
    expect(isFullSecondary('774477442D2C3404')).toBe(true);
    expect(isFullSecondary('77447744FFFF3404')).toBe(false);
    expect(isFullSecondary('7744774F2D2C3404')).toBe(false);
  });
});
