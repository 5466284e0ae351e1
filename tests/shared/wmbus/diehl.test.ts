// Diehl group LFSR scrambling (shared/wmbus/diehl.ts), with telegrams from wmbusmeters' public
// tests: src/driver_izar.cc (PRIOS) and drivers/src/sharky.xmq, drivers/src/hydrus.xmq (real data).
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../../shared/bytes/hex.js';
import { diehlKeyStreamXor, DIEHL_DEFAULT_SEEDS, openDiehlRealData, openPrios } from '../../../shared/wmbus/diehl.js';
import { decodeTelegram } from '../../../shared/wmbus/telegram.js';

// driver_izar.cc test "IzarWater" (Sappel, CI A2); simulations/simulation_t1.txt izar telegram
// (Hydrometer, second default key)
const IZAR = '1944304C72242421D401A2013D4013DD8B46A4999C1293E582CC';
const IZAR_KEY2 = '19442423850798160018A2410100133EBBD44081053F243A82A3';
// sharky.xmq test with TPL security mode 21: scrambled records
const SHARKY21 =
  '534424232004256092687A370045752235854DEEEA5939FAD81C25FEEF5A23C38FB9168493C563F08DB10BAF87F660FBA91296BA2397E8F4' +
  '220B86D3A192FB51E0BFCF24DCE72118E0C75A9E89F43BDFE370824B';
// hydrus.xmq test "HydrusIzarRS": mode 29, logged after descrambling
const HYDRUS29 = '1E4424238B07797389607A8F00107D041312170100426CBF23441344100100';

describe('Diehl PRIOS (CI A0–A7)', () => {
  it('gives the check byte 4B and the litres after it', () => {
    const plain = openPrios(fromHex(IZAR))!;
    expect(plain).not.toBeNull();
    expect(plain[15]).toBe(0x4b);
    expect(plain[16]! | (plain[17]! << 8) | (plain[18]! << 16)).toBe(3488);
    // the header stays as it was
    expect(toHex(plain.subarray(0, 15))).toBe(IZAR.slice(0, 30));
  });

  it('tries the second default key', () => {
    const f = fromHex(IZAR_KEY2);
    expect(diehlKeyStreamXor(f, DIEHL_DEFAULT_SEEDS[0]!)[0]).not.toBe(0x4b);
    expect(openPrios(f)![15]).toBe(0x4b);
  });

  it('leaves other frames alone', () => {
    const other = fromHex(IZAR);
    other[2] = 0x2d; // KAM
    other[3] = 0x2c;
    expect(openPrios(other)).toBeNull();
    expect(openPrios(fromHex(HYDRUS29))).toBeNull(); // CI 7A
  });

  it('reaches the driver as manufacturer data', () => {
    const r = decodeTelegram(fromHex(IZAR));
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.value.manufacturerData!.bytes[4]).toBe(0x4b);
  });
});

describe('Diehl real data (CI 7A, security mode 16–31)', () => {
  it('descrambles with a default key when the byte sum checks', () => {
    const r = openDiehlRealData(fromHex(SHARKY21))!;
    expect(r.state).toBe('decrypted');
    expect(toHex(r.buffer.subarray(15, 21))).toBe('0C0651260000'); // 2651 kWh
  });

  it('takes bytes that already check out as plaintext', () => {
    const r = openDiehlRealData(fromHex(HYDRUS29))!;
    expect(r.state).toBe('plain-upstream');
  });

  it('refuses bytes that check out neither way', () => {
    const f = fromHex(HYDRUS29);
    f[20] ^= 0x01;
    expect(openDiehlRealData(f)!.state).toBe('wrong-key');
  });

  it('decodes the records through decodeTelegram', () => {
    const r = decodeTelegram(fromHex(HYDRUS29));
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.value.security).toMatchObject({ layer: 'tpl', mode: 29, state: 'decrypted-upstream' });
      expect(r.value.records[0]).toMatchObject({ value: 71.442, unit: 'm3' });
    }
    const s = decodeTelegram(fromHex(SHARKY21));
    expect(s.ok && s.value.security.state).toBe('decrypted');
  });
});
