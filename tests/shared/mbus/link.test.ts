import { describe, expect, it } from 'vitest';
import { C, FrameReader, longFrame, shortFrame, withFcb, ackFrame, lineMs } from '../../../shared/mbus/link';
import { fromHex, toHex } from '../../../shared/bytes/hex';

// Frames of protocols.md §8.5/§8.8 (checksums verified there).
describe('wired M-Bus link frames', () => {
  it('builds the short, control and long frames of the brief', () => {
    expect(toHex(shortFrame(withFcb(C.REQ_UD2, true), 5))).toBe('107B058016');
    expect(toHex(shortFrame(withFcb(C.REQ_UD2, false), 5))).toBe('105B056016');
    expect(toHex(shortFrame(C.SND_NKE, 5))).toBe('1040054516');
    expect(toHex(longFrame(C.SND_UD, 0xfe, 0x50))).toBe('68030368' + '53FE50A116');
    expect(toHex(longFrame(C.SND_UD, 1, 0x50, Uint8Array.of(0)))).toBe('6804046853015000A416');
    expect(toHex(longFrame(C.SND_UD, 1, 0x51, fromHex('017A05')))).toBe('680606685301510' + '17A052516');
    expect(toHex(longFrame(withFcb(C.SND_UD, true), 0xfd, 0x52, fromHex('78563412FFFFFFFF')))).toBe('680B0B6873FD5278563412FFFFFFFFD216');
  });

  it('refuses a long frame whose L would pass 255', () => {
    expect(() => longFrame(C.SND_UD, 1, 0x51, new Uint8Array(253))).toThrow(/at most 252/);
    expect(longFrame(C.SND_UD, 1, 0x51, new Uint8Array(252)).length).toBe(261);
  });

  it('cuts a stream into frames whatever the chunking, the moment the last byte is in', () => {
    const tv10 = fromHex(
      '68464668084a72447744772d2c3404060000000406ce86000004ff073444020004ff08f8ce0100041411680300043B0f02000002593c19025da41104ff220000000004a5ff21c7d02700d916'
    );
    const stream = Uint8Array.from([...ackFrame(), ...tv10, ...shortFrame(0x40, 3)]);
    for (const size of [1, 2, 7, stream.length]) {
      const r = new FrameReader();
      const units = [];
      for (let i = 0; i < stream.length; i += size) {
        r.push(stream.subarray(i, i + size));
        units.push(...r.take());
      }
      expect(units.map((u) => (u.kind === 'frame' ? u.type : u.kind))).toEqual(['ack', 'long', 'short']);
      expect(toHex(units[1].bytes)).toBe(toHex(tv10));
      expect(r.pending).toBe(false);
    }
    const r = new FrameReader();
    r.push(tv10.subarray(0, tv10.length - 1));
    expect(r.take()).toEqual([]);
    expect(r.pending).toBe(true);
    r.push(tv10.subarray(tv10.length - 1));
    expect(r.take()).toHaveLength(1);
  });

  it('reports a wrong checksum, a wrong stop byte, noise and a frame cut short as garbage with the reason', () => {
    const bad = longFrame(C.SND_UD, 1, 0x51, fromHex('017A05'));
    bad[bad.length - 2] ^= 1;
    const r = new FrameReader();
    r.push(Uint8Array.from([0x00, 0x3c, ...bad, 0x10, 0x40, 0x05, 0x45, 0x17, 0x68, 0x10, 0x10]));
    const u = r.take();
    expect(u.map((x) => x.kind)).toEqual(['garbage', 'garbage', 'garbage']);
    expect(u[0]).toMatchObject({ reason: '2 byte(s) that start no frame (00 3C)' });
    expect(u[1]).toMatchObject({ reason: 'long frame (L = 6) with checksum 24, computed 25' });
    expect(u[2]).toMatchObject({ reason: 'short frame with stop byte 17, expected 16' });
    expect(r.pending).toBe(true);
    r.flush();
    expect(r.take()).toEqual([{ kind: 'garbage', bytes: Uint8Array.of(0x68, 0x10, 0x10), reason: 'incomplete frame: 3 byte(s) (68 10 10) and then silence' }]);
  });

  it('gives the time bytes need on the line at 11 bits per character', () => {
    expect(lineMs(240, 2400)).toBe(1100);
  });
});
