// Manufacturer-specific VIFs (vendor-vifs.ts), the raw number of a record and compact
// profiles (EN 13757-3:2018 Annex F), with real telegrams from named public sources.
import { describe, expect, it } from 'vitest';
import { fromHex } from '../../../shared/bytes/hex.js';
import { aesKey } from '../../../shared/crypto/aes.js';
import { decodeRecords } from '../../../shared/mbus/records.js';
import { decodeTelegram } from '../../../shared/wmbus/telegram.js';

// protocols.md TV-8 MULTICAL 403 long frame (wmbusmeters drivers/src/kamheat.xmq)
const MC403_LONG =
  '56442D2C99480571340C8D2019708C8322C88F780406AF7D000004FF076556020004FF08D7E701000414CC7A0500043B00000000' +
  '02598F0C025D920D04FF2200000000026CDF214406AF7D00004414CC7A0500426CC121';

describe('manufacturer-specific VIFs', () => {
  it('Kamstrup FF07/FF08 are E8/E9 in m³·°C (protocols.md §4.4)', () => {
    const r = decodeTelegram(fromHex(MC403_LONG));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const e8 = r.value.records.find((x) => x.difvif === '04FF07');
    const e9 = r.value.records.find((x) => x.difvif === '04FF08');
    expect(e8).toMatchObject({ value: 153189, unit: 'm3C', storage: 0 });
    expect(e9).toMatchObject({ value: 124887, unit: 'm3C' });
  });

  it('the same bytes from another manufacturer stay a raw manufacturer-specific value', () => {
    const bytes = fromHex('04FF0765560200');
    expect(decodeRecords(bytes, 0, bytes.length, { manufacturer: 'EFE' }).records[0]).toMatchObject({ value: 153189, unit: '', quantity: 'manufacturer specific' });
    expect(decodeRecords(bytes, 0, bytes.length, { manufacturer: 'KAM' }).records[0]).toMatchObject({ value: 153189, unit: 'm3C' });
    // FF with an extension bit set on its VIFE is another code: not E8
    const other = fromHex('04FF870065560200');
    expect(decodeRecords(other, 0, other.length, { manufacturer: 'KAM' }).records[0]?.unit).toBe('');
  });
});

describe('raw number of a record', () => {
  it('keeps the data before VIF scaling (em24 04FB8275: 63 sent, 0.63 kvarh by the standard)', () => {
    // wmbusmeters drivers/src/em24.xmq test "Elen", record area only
    const b = fromHex('04FB82753F000000');
    const [r] = decodeRecords(b, 0, b.length).records;
    expect(r).toMatchObject({ raw: 63, unit: 'kvarh' });
    expect(r!.value).toBeCloseTo(0.63, 12);
  });
});

describe('compact profiles (EN 13757-3:2018 Annex F)', () => {
  it('expands a compact profile (VIFE 1F) into one record per element', () => {
    // wmbusmeters drivers/src/fhkvdataiv.xmq test "Rooom"
    const hex =
      '4E4468507620541494087AAD004005089D86B62A329B3439873999738F82461ABDE3C7AC78692B363F3B41EB68607F9C9160F550769B06' +
      '5B6EA00A2E44346E29FF5DC5CB86283C69324AD33D137F6F';
    const r = decodeTelegram(fromHex(hex), { key: aesKey(fromHex('FCF41938F63432975B52505F547FCEDF')) });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const elements = r.value.records.filter((x) => x.difvif === '8D04EE1F' && typeof x.value === 'number');
    // spacing control 72: increments, months, 16-bit elements; 14 elements, the last two 3 and 22
    expect(elements).toHaveLength(14);
    expect(elements.map((x) => x.value).slice(-2)).toEqual([3, 22]);
    expect(elements[0]).toMatchObject({ unit: 'HCA', storage: 9, quantity: 'HCA units compact profile increment' });
  });

  it('an inverse compact profile (VIFE 13) with BCD elements; FF… elements are skipped', () => {
    // wmbusmeters drivers/src/caltose.xmq test "Caltos": 99, 52, 10, 0 HCA going back from the base month
    const hex =
      '5E44496A91190880FC087A744050052F05BF0C6BAF613A078098E048AE47FFB93083B455065E03DE9B7878C8B3BB063637EA5693160E83' +
      '1CC3D4E0470FABBCD4FEDB09D289A0025CA7960D5C7B8064B1093037E7A0A57908EDB554D17AD587';
    const r = decodeTelegram(fromHex(hex), { key: aesKey(fromHex('6B6B5EB80884328A7B1E45043D39FAAD')) });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const elements = r.value.records.filter((x) => x.difvif === '8D04EE13' && typeof x.value === 'number');
    expect(elements.map((x) => [x.value, x.storage])).toEqual([[99, 9], [52, 10], [10, 11], [0, 12]]);
  });
});
