// The encoder re-encodes the published vectors of protocols.md §10 from their plaintext
// parts and keys; equality with the published bytes (CRCs, MACs, ciphertext) proves it
// byte-exact. Where a vector gives no plaintext, the test decrypts it with our AES first.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  compactFrameBody,
  encodeFrameFormat,
  encodeTelegram,
  fullFrameRecords,
  packManufacturer,
  type CompactRecord,
  type TelegramSpec,
} from '../../../shared/wmbus/encode.js';
import { fromHex, toHex } from '../../../shared/bytes/hex.js';
import { crc16En13757 } from '../../../shared/bytes/crc.js';
import { aesCbcDecrypt, aesKey } from '../../../shared/crypto/aes.js';
import { deriveMode7Keys } from '../../../shared/crypto/kdf.js';
import type { MeterAddress } from '../../../shared/model/address.js';

const hex = (s: string) => fromHex(s);

/** Test helper: splits a record area along a DIF/VIF list ("02FF20 0413 …"), data lengths from the DIF (EN 13757-3 §3.2 codes 0-7). */
function records(difvifs: string, area: string): CompactRecord[] {
  const bytes = hex(area);
  const size = [0, 1, 2, 3, 4, 4, 6, 8];
  let at = 0;
  const out = difvifs.split(' ').map((dv) => {
    const difvif = hex(dv);
    const n = size[difvif[0]! & 0x07]!;
    at += difvif.length;
    const data = bytes.slice(at, at + n);
    at += n;
    return { difvif, data };
  });
  expect(at).toBe(bytes.length);
  return out;
}

const MC21: MeterAddress = { manufacturer: 'KAM', id: '76348799', version: 0x1b, deviceType: 0x16 };
const MC21_KEY = aesKey(hex('28F64A24988064A079AA2C807D6102AE'));
const MC21_LIST = '02FF20 0413 4413 615B 6167';

describe('packManufacturer (protocols.md §1.4)', () => {
  it('packs the codes of the table', () => {
    expect(packManufacturer('KAM')).toBe(0x2c2d);
    expect(packManufacturer('KAW')).toBe(0x2c37);
    expect(packManufacturer('SEN')).toBe(0x4cae);
    expect(packManufacturer('APA')).toBe(0x0601);
    expect(packManufacturer('EFE')).toBe(0x14c5);
    expect(() => packManufacturer('kam')).toThrow(/3 letters A-Z, got "kam"/);
  });
});

describe('TV-1: frame format A, short TPL, no encryption', () => {
  const published =
    '3444EE4D813929271608811D7A51000000046D1912A62B036E0000005170426CE1F1436E00000002FF2C00000259D6D0D4090265FC0902FD66A00044C4';
  const spec: TelegramSpec = {
    address: { manufacturer: 'SON', id: '27293981', version: 0x16, deviceType: 0x08 },
    tpl: {
      header: 'short',
      acc: 0x51,
      payload: hex('046D1912A62B036E000000426CE1F1436E00000002FF2C00000259D4090265FC0902FD66A000'),
    },
    frame: 'A',
  };

  it('re-encodes the published bytes', () => {
    expect(toHex(encodeTelegram(spec))).toBe(published);
  });

  it('without CRCs gives L = length - 1', () => {
    const plain = encodeTelegram({ ...spec, frame: 'none' });
    expect(plain[0]).toBe(plain.length - 1);
    expect(toHex(encodeFrameFormat(plain, 'A'))).toBe(published);
  });
});

describe('TV-2: frame format B, ELL I, AFL with mode 7 MAC, mode 7 encryption', () => {
  const published = hex(
    'C244C5140443054300048C200E900F002C25895E02003B0877D31DA840B17A0E009007100F8FAD4C4E61400DA4F3B1F7E273CC4C5C07F93CD20B237345DB39F9A98F8415E1C4B7A25C86E4C22D05C3352FA7E2E5627031F14643063F1DC8FE2C32459B6F02E4234B447B18E4BFDA8C4DA9B1EDE6CF29D0B2122A3E8B9DEEBEE3E6DBE6617B4E709EC6B595179CB01C2C0BDE6723A345B708652880C114A58DA07C73AD9EB8ACB17FA0A88F19BC84CB1FC56672DE8A9603FD0C05010002FD0B2111F60B',
  );
  const master = aesKey(hex('622b9656991ff0c1574c0950cf9278d1'));
  const address: MeterAddress = { manufacturer: 'EFE', id: '43054304', version: 0x00, deviceType: 0x04 };

  it('re-encodes the published bytes from the decrypted plaintext', () => {
    // strip the format B CRCs at 126..127 and at the end (§1.2)
    const stripped = new Uint8Array([...published.subarray(0, 126), ...published.subarray(128, published.length - 2)]);
    const tplAt = 10 + 3 + 17; // DLL, ELL I, AFL
    expect(toHex(stripped, tplAt, tplAt + 6)).toBe('7A0E00900710');
    const cipher = stripped.subarray(tplAt + 6, tplAt + 6 + 144);
    const { enc } = deriveMode7Keys(master, 0x00025e89, hex('04430543'));
    const plain = aesCbcDecrypt(enc, new Uint8Array(16), cipher);
    expect(toHex(plain, 0, 18)).toBe('2F2F046D3A2A283C04067D24000004131794');

    const out = encodeTelegram({
      address,
      ell: { ci: 0x8c, cc: 0x20, acc: 0x0e },
      afl: { counter: 0x00025e89, macLength: 8 },
      tpl: {
        header: 'short',
        acc: 0x0e,
        security: { mode: 7, key: master },
        payload: plain.subarray(2),
        plainTail: stripped.subarray(tplAt + 6 + 144),
      },
      frame: 'B',
    });
    expect(toHex(out)).toBe(toHex(published));
  });
});

describe('TV-4 / TV-5: MULTICAL 21 ELL II with AES-CTR, full and compact frame', () => {
  it('TV-4 full frame (CI 78)', () => {
    const recs = records(MC21_LIST, '02FF207100041308190000441308190000615B7F616713');
    const out = encodeTelegram({
      address: MC21,
      ell: { ci: 0x8d, cc: 0x20, acc: 0x91, sn: 0x21ac7cd3, key: MC21_KEY },
      tpl: { header: 'none', payload: fullFrameRecords(recs) },
    });
    expect(toHex(out)).toBe('2A442D2C998734761B168D2091D37CAC21E1D68CDAFFCD3DC452BD802913FF7B1706CA9E355D6C2701CC24');
  });

  it('TV-5 compact frame (CI 79, FSIG ED A8, FFCRC E4 75)', () => {
    const recs = records(MC21_LIST, '02FF207100041309190000441309190000615B7F616716');
    expect(toHex(compactFrameBody(recs))).toBe('EDA8E475710009190000091900007F16');
    const out = encodeTelegram({
      address: MC21,
      ell: { ci: 0x8d, cc: 0x20, acc: 0x98, sn: 0x22b28130, key: MC21_KEY },
      tpl: { header: 'none', compact: recs },
    });
    expect(toHex(out)).toBe('23442D2C998734761B168D20983081B2227A6FA1F10E1B79B5EB4B17E81F930E937EE06C');
  });

  it('clears H and R of CC in the counter block (§2.2) but sends CC as given', () => {
    const recs = records(MC21_LIST, '02FF207100041308190000441308190000615B7F616713');
    const base = { address: MC21, tpl: { header: 'none', payload: fullFrameRecords(recs) } } as const;
    const plainCc = encodeTelegram({ ...base, ell: { ci: 0x8d, cc: 0x20, acc: 0x91, sn: 0x21ac7cd3, key: MC21_KEY } });
    const relayed = encodeTelegram({ ...base, ell: { ci: 0x8d, cc: 0x32, acc: 0x91, sn: 0x21ac7cd3, key: MC21_KEY } });
    expect(relayed[11]).toBe(0x32);
    expect(toHex(relayed, 17)).toBe(toHex(plainCc, 17));
  });
});

describe('TV-6: security mode 5 (Apator 162, key all zero)', () => {
  const published =
    '6E4401068888888805077A85006085BC2630713819512EB4CD87FBA554FB43F67CF9654A68EE8E194088160DF752E716238292E8AF1AC20986202EE561D743602466915E42F1105D9C6782A54504E4F099E65A7656B930C73A30775122D2FDF074B5035CFAA7E0050BF32FAAE03A77';

  it('re-encodes the published bytes from the decrypted plaintext', () => {
    const key = aesKey(new Uint8Array(16));
    const bytes = hex(published);
    const plain = aesCbcDecrypt(key, hex('01068888888805078585858585858585'), bytes.subarray(15));
    expect(toHex(plain, 0, 4)).toBe('2F2F80C8');
    const out = encodeTelegram({
      address: { manufacturer: 'APA', id: '88888888', version: 0x05, deviceType: 0x07 },
      tpl: { header: 'short', acc: 0x85, configFlags: 0x8000, security: { mode: 5, key }, payload: plain.subarray(2) },
    });
    expect(toHex(out)).toBe(published);
  });
});

describe('TV-7 / TV-8 / TV-9: Kamstrup pre-decrypted pairs (ELL ENC = 1, sent in clear)', () => {
  const cases: { name: string; address: MeterAddress; list: string; full: string; compact: string; fullArea: string }[] = [
    {
      name: 'TV-7 MULTICAL 21 target volume',
      address: MC21,
      list: MC21_LIST,
      full: '2A442D2C998734761B168D2091D37CAC21576C7802FF207100041308190000441308190000615B7F616713',
      compact: '23442D2C998734761B168D2087D19EAD217F1779EDA86AB6710008190000081900007F13',
      fullArea: '02FF207100041308190000441308190000615B7F616713',
    },
    {
      name: 'TV-7 MULTICAL 21 max flow',
      address: { manufacturer: 'KAM', id: '44556677', version: 0x1b, deviceType: 0x16 },
      list: '02FF20 0413 92013B A1015B 8101E7FF0F',
      full: '2D442D2C776655441B168D2083B48D3A2046887802FF20000004132F4E000092013B3D01A1015B028101E7FF0F03',
      compact: '21442D2C776655441B168D2079CC8C3A20F4307912C40DFF00002F4E00003D010203',
      fullArea: '02FF20000004132F4E000092013B3D01A1015B028101E7FF0F03',
    },
    {
      name: 'TV-8 MULTICAL 403',
      address: { manufacturer: 'KAM', id: '71054899', version: 0x34, deviceType: 0x0c },
      list: '0406 04FF07 04FF08 0414 043B 0259 025D 04FF22 026C 4406 4414 426C',
      full: '56442D2C99480571340C8D2019708C8322C88F780406AF7D000004FF076556020004FF08D7E701000414CC7A0500043B0000000002598F0C025D920D04FF2200000000026CDF214406AF7D00004414CC7A0500426CC121',
      compact: '3F442D2C99480571340C8D201B728C8322BE3D794DB3E88DAF7D000065560200D7E70100CC7A050000000000810C930D00000000DF21AF7D0000CC7A0500C121',
      fullArea: '0406AF7D000004FF076556020004FF08D7E701000414CC7A0500043B000000000259810C025D930D04FF2200000000026CDF214406AF7D00004414CC7A0500426CC121',
    },
    {
      name: 'TV-9 OMNIPOWER',
      address: { manufacturer: 'KAM', id: '32666857', version: 0x30, deviceType: 0x02 },
      list: '0404 04843C 042B 04AB3C',
      full: '2D442D2C5768663230028D20E4E2C81C20878C7804041A03000004843C00000000042B0300000004AB3C00000000',
      compact: '27442D2C5768663230028D20E900C91C2011BA79138CCCFB1A030000000000000300000000000000',
      fullArea: '04041A03000004843C00000000042B0300000004AB3C00000000',
    },
  ];

  for (const t of cases) {
    it(`${t.name}: full frame`, () => {
      const full = hex(t.full);
      const recs = records(t.list, toHex(full, 20));
      const out = encodeTelegram({
        address: t.address,
        ell: { ci: 0x8d, cc: full[11]!, acc: full[12]!, sn: new DataView(full.buffer).getUint32(13, true) },
        tpl: { header: 'none', payload: fullFrameRecords(recs) },
      });
      expect(toHex(out)).toBe(t.full);
    });

    it(`${t.name}: compact frame`, () => {
      const compact = hex(t.compact);
      // the compact frame's own values, re-inserted into the full frame's layout (§4.2)
      const recs = records(t.list, t.fullArea);
      const out = encodeTelegram({
        address: t.address,
        ell: { ci: 0x8d, cc: compact[11]!, acc: compact[12]!, sn: new DataView(compact.buffer).getUint32(13, true) },
        tpl: { header: 'none', compact: recs },
      });
      expect(toHex(out)).toBe(t.compact);
    });
  }

  it('TV-8 T1 short header, mode 5 marked but pre-decrypted', () => {
    const published =
      '5E442D2C78787878400C7A6E0050252F2F04056C2B000004138A0B070004FF07C657020004FF08FD36020002594B09025DFA08023B000002FF220000026CF42144052F000000441302AD0000426CE1212F2F2F2F2F2F2F2F2F2F2F2F2F2F2F';
    const out = encodeTelegram({
      address: { manufacturer: 'KAM', id: '78787878', version: 0x40, deviceType: 0x0c },
      tpl: {
        header: 'short',
        acc: 0x6e,
        configFlags: 0x2000,
        security: { mode: 5 },
        payload: hex(published).subarray(17), // after 2F 2F, filler included (already whole blocks)
      },
    });
    expect(toHex(out)).toBe(published);
  });
});

describe('long TPL header', () => {
  it('uses its own address for the mode 5 IV and writes ID M VER TYPE (§2.4)', () => {
    const key = aesKey(hex('000102030405060708090A0B0C0D0E0F'));
    const inner: MeterAddress = { manufacturer: 'KAM', id: '12345678', version: 0x34, deviceType: 0x04 };
    const out = encodeTelegram({
      address: { manufacturer: 'APA', id: '00000001', version: 0x01, deviceType: 0x37 },
      tpl: { header: 'long', address: inner, acc: 0x07, security: { mode: 5, key }, payload: hex('0406AF7D0000') },
    });
    expect(toHex(out, 10, 23)).toBe('72785634122D2C34040700' + '1005'); // CFG 0x0510: mode 5, N 1
    const plain = aesCbcDecrypt(key, hex('2D2C78563412340407070707070707 07'), out.subarray(23));
    expect(toHex(plain)).toBe('2F2F0406AF7D00002F2F2F2F2F2F2F2F');
  });
});

describe('frame formats (§1.2)', () => {
  const frameOf = (n: number) =>
    encodeTelegram({ address: MC21, tpl: { header: 'none', payload: new Uint8Array(n).fill(0x11) } });

  it('format A: every block followed by its CRC, L excludes CRCs', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 240 }), (n) => {
        const plain = frameOf(n);
        const a = encodeFrameFormat(plain, 'A');
        const blocks = 1 + Math.ceil((plain.length - 10) / 16);
        expect(a.length).toBe(1 + a[0]! + 2 * blocks);
        expect(a[0]).toBe(plain.length - 1);
        for (let at = 0, src = 0, b = 0; b < blocks; b++) {
          const size = b === 0 ? 10 : Math.min(16, plain.length - src);
          expect(crc16En13757(a, at, at + size)).toBe((a[at + size]! << 8) | a[at + size + 1]!);
          at += size + 2;
          src += size;
        }
      }),
      { numRuns: 60 },
    );
  });

  it('format B: one CRC up to 128 bytes, two above, L includes CRCs', () => {
    for (const n of [0, 115, 116, 117, 200, 241]) {
      const plain = frameOf(n);
      const b = encodeFrameFormat(plain, 'B');
      expect(b[0]).toBe(b.length - 1);
      if (plain.length + 2 <= 128) {
        expect(b.length).toBe(plain.length + 2);
        expect(crc16En13757(b, 0, b.length - 2)).toBe((b[b.length - 2]! << 8) | b[b.length - 1]!);
      } else {
        expect(b.length).toBe(plain.length + 4);
        expect(crc16En13757(b, 0, 126)).toBe((b[126]! << 8) | b[127]!);
        expect(crc16En13757(b, 128, b.length - 2)).toBe((b[b.length - 2]! << 8) | b[b.length - 1]!);
      }
    }
  });

  it('rejects frames whose L would pass 255', () => {
    expect(() => frameOf(246)).toThrow(/L <= 255, got 256/);
    expect(() => encodeFrameFormat(frameOf(244), 'B')).toThrow(RangeError);
  });
});

describe('misuse', () => {
  const address = MC21;
  it('throws with argument, expectation and actual', () => {
    expect(() => encodeTelegram({ address, tpl: { header: 'short', acc: 256 } })).toThrow(
      new RangeError('tpl.acc: expected a byte 0..255, got 256'),
    );
    expect(() => encodeTelegram({ address: { ...address, id: '1234' }, tpl: { header: 'none' } })).toThrow(
      /id: expected 8 digits, got "1234"/,
    );
    expect(() =>
      encodeTelegram({ address, tpl: { header: 'short', acc: 1, security: { mode: 7, key: MC21_KEY } } }),
    ).toThrow(/mode 7 needs an afl/);
    expect(() =>
      encodeTelegram({ address, ell: { ci: 0x8d, cc: 0x20, acc: 1, sn: 0, key: MC21_KEY }, tpl: { header: 'none' } }),
    ).toThrow(/ENC \(bits 29\.\.31\) = 1 \(AES-CTR\), got 0/);
    expect(() => encodeTelegram({ address, tpl: { header: 'short', acc: 1, configFlags: 0x0500 } })).toThrow(
      /without mode\/N bits/,
    );
    expect(() =>
      encodeTelegram({ address, tpl: { header: 'short', acc: 1, security: { mode: 5 }, payload: new Uint8Array(239) } }),
    ).toThrow(/at most 238 bytes/);
    expect(() =>
      encodeTelegram({ address, tpl: { header: 'none', payload: new Uint8Array(1), compact: [] } }),
    ).toThrow(TypeError);
  });
});
