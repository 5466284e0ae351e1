// Export files (M13) rendered from rows, byte for byte: delimited with RFC 4180 quoting, decimal
// comma, fixed width with padding, dates on the utility's wall clock across a DST change, CRLF,
// BOM, and values that do not fit named by row and column instead of being cut.
import { describe, expect, test } from 'vitest';
import type { ExportRow } from '../../server/src/export/fields';
import { ExportFormat, formatDate, formatDecimal, render, type ExportFormatInput } from '../../server/src/export/format';

const TZ = 'Europe/Copenhagen';
const parse = (f: ExportFormatInput) => ExportFormat.parse(f);

function row(over: Partial<ExportRow> & { serial?: string } = {}): ExportRow {
  return {
    meter: { id: 7, manufacturer: 'KAM', serial: over.serial ?? '76348799', medium: 'heat', model: 'MULTICAL 603' },
    point: { number: 'MP-1', address: 'Algade 1', postalCode: '4000', city: 'Roskilde' },
    customer: { number: 'C-100', name: 'Jens Hansen' },
    reading: { at: Date.UTC(2026, 11, 31, 22, 0), energy: 4_567_890_000_000, volume: 123_456_789, flow: 1_250_000, power: 15_400, tFlow: 7012, tReturn: 4105, info: 0 },
    estimated: false,
    cutoff: Date.UTC(2026, 11, 31, 23, 0),
    ...over
  };
}

describe('delimited', () => {
  test('semicolon, decimal comma, header, CRLF, and quoting of separators, quotes and line breaks', () => {
    const format = parse({
      kind: 'delimited',
      separator: ';',
      decimalMark: ',',
      dateFormat: 'DD.MM.YYYY HH:mm',
      columns: [
        { field: 'meter.serial', header: 'Måler' },
        { field: 'customer.name', header: 'Kunde' },
        { field: 'point.address', header: 'Adresse' },
        { field: 'reading.energy', header: 'kWh' },
        { field: 'reading.energy', header: 'MWh', unit: 'MWh' },
        { field: 'reading.volume', header: 'm3' },
        { field: 'reading.at', header: 'Aflæst' }
      ]
    });
    const rows = [
      row(),
      row({ serial: '76348800', customer: { number: 'C-2', name: 'Kro "Anker"; Bar' }, point: { number: null, address: 'Vej 1\nSal 2', postalCode: null, city: null } }),
      row({ serial: '76348801', customer: null, point: null, reading: null })
    ];
    const out = render(format, rows, { timeZone: TZ });
    expect(out.errors).toEqual([]);
    expect(out.rows).toBe(3);
    expect(out.text).toBe(
      'Måler;Kunde;Adresse;kWh;MWh;m3;Aflæst\r\n' +
        '76348799;Jens Hansen;Algade 1;1268858;1268,858;123,457;31.12.2026 23:00\r\n' +
        '76348800;"Kro ""Anker""; Bar";"Vej 1\nSal 2";1268858;1268,858;123,457;31.12.2026 23:00\r\n' +
        '76348801;;;;;;\r\n'
    );
  });

  test('a decimal comma in a comma-separated file is quoted; quote "always" quotes every cell', () => {
    const columns = [{ field: 'meter.serial' }, { field: 'reading.volume', decimals: 1 }];
    const needed = render(parse({ kind: 'delimited', separator: ',', decimalMark: ',', header: false, lineEnd: 'LF', columns }), [row()], { timeZone: TZ });
    expect(needed.text).toBe('76348799,"123,5"\n');
    const always = render(parse({ kind: 'delimited', separator: '|', quote: 'always', lineEnd: 'LF', columns }), [row()], { timeZone: TZ });
    expect(always.text).toBe('"meter.serial"|"reading.volume"\n"76348799"|"123.5"\n');
  });

  test('tab separator, units, info code and the estimated flag', () => {
    const format = parse({
      kind: 'delimited',
      separator: '\t',
      header: false,
      lineEnd: 'LF',
      columns: [
        { field: 'meter.identity' },
        { field: 'reading.energy', unit: 'GJ' },
        { field: 'reading.volume', unit: 'l' },
        { field: 'reading.flow', unit: 'l/h' },
        { field: 'reading.power' },
        { field: 'reading.tFlow' },
        { field: 'reading.tDiff', decimals: 1 },
        { field: 'info.code' },
        { field: 'info.hex' },
        { field: 'estimated' }
      ]
    });
    const base = row();
    const out = render(format, [row({ reading: { ...base.reading!, info: 0x8c }, estimated: true })], { timeZone: TZ });
    expect(out.text).toBe('KAM 76348799\t4567.890\t123457\t1250\t15.4\t70.12\t29.1\t140\t8C\t1\n');
  });

  test('quote "never" refuses a value that holds the separator, naming row and column', () => {
    const format = parse({ kind: 'delimited', separator: ';', quote: 'never', header: false, columns: [{ field: 'meter.serial' }, { field: 'customer.name' }] });
    const out = render(format, [row(), row({ serial: '2', customer: { number: null, name: 'A;B' } })], { timeZone: TZ });
    expect(out.text).toBe('76348799;Jens Hansen\r\n');
    expect(out.rows).toBe(1);
    expect(out.errors).toEqual([
      {
        row: 2,
        column: 2,
        field: 'customer.name',
        message: 'row 2 (meter KAM 2), column 2 (customer.name): "A;B" holds the separator, a quote or a line break and the format never quotes'
      }
    ]);
  });
});

describe('fixed width', () => {
  const format = parse({
    kind: 'fixed',
    header: false,
    lineEnd: 'LF',
    columns: [
      { field: 'meter.serial', width: 10 },
      { field: 'customer.number', width: 6, align: 'right', pad: ' ' },
      { field: 'reading.volume', width: 12, pad: '0' },
      { field: 'reading.at', width: 10, dateFormat: 'YYYY-MM-DD' },
      { field: 'estimated', width: 1 }
    ]
  });

  test('pads text left-aligned with spaces, numbers right-aligned with the column pad; a missing value is blank', () => {
    const out = render(format, [row(), row({ serial: '1', customer: { number: '42', name: 'x' }, reading: null })], { timeZone: TZ });
    expect(out.errors).toEqual([]);
    expect(out.text).toBe('76348799   C-10000000123.4572026-12-310\n' + '1             42                      0\n');
  });

  test('a value longer than its column is an error naming row and column, never cut', () => {
    const out = render(format, [row(), row({ serial: '12345678901' })], { timeZone: TZ });
    expect(out.rows).toBe(1);
    expect(out.text).toBe('76348799   C-10000000123.4572026-12-310\n');
    expect(out.errors).toEqual([
      {
        row: 2,
        column: 1,
        field: 'meter.serial',
        message: 'row 2 (meter KAM 12345678901), column 1 (meter.serial): "12345678901" is 11 characters, the column is 10 wide'
      }
    ]);
  });

  test('a header line is padded like its column; characters count, not bytes', () => {
    const f = parse({ kind: 'fixed', lineEnd: 'CRLF', columns: [{ field: 'point.city', header: 'By', width: 8 }, { field: 'meter.id', header: 'Id', width: 4 }] });
    const out = render(f, [row({ point: { number: null, address: 'x', postalCode: null, city: 'Køge' } })], { timeZone: TZ });
    expect(out.text).toBe('By        Id\r\nKøge       7\r\n');
  });

  test('a line break cannot go in a fixed-width file', () => {
    const out = render(format, [row({ serial: 'a\nb' })], { timeZone: TZ });
    expect(out.text).toBe('');
    expect(out.errors[0].message).toBe('row 1 (meter KAM a\nb), column 1 (meter.serial): a line break cannot go in a fixed-width file');
  });
});

describe('dates, numbers, encoding', () => {
  test('date patterns on the utility wall clock, across the spring DST change', () => {
    const beforeChange = Date.UTC(2027, 2, 28, 0, 30); // 01:30 CET
    const afterChange = Date.UTC(2027, 2, 28, 1, 30); //  03:30 CEST
    expect(formatDate(beforeChange, 'DD.MM.YYYY HH:mm', TZ)).toBe('28.03.2027 01:30');
    expect(formatDate(afterChange, 'DD.MM.YYYY HH:mm', TZ)).toBe('28.03.2027 03:30');
    const newYear = Date.UTC(2026, 11, 31, 23, 0); // midnight in Copenhagen
    expect(formatDate(newYear, 'iso', TZ)).toBe('2026-12-31T23:00:00Z');
    expect(formatDate(newYear, 'YYYY-MM-DD', TZ)).toBe('2027-01-01');
    expect(formatDate(newYear, 'DD-MM-YYYY', TZ)).toBe('01-01-2027');
    expect(formatDate(newYear, 'YYYY-MM-DD', 'UTC')).toBe('2026-12-31');
    // autumn: 02:30 happens twice; the two instants show their own wall times
    expect(formatDate(Date.UTC(2027, 9, 31, 0, 30), 'DD.MM.YYYY HH:mm', TZ)).toBe('31.10.2027 02:30');
    expect(formatDate(Date.UTC(2027, 9, 31, 1, 30), 'DD.MM.YYYY HH:mm', TZ)).toBe('31.10.2027 02:30');
    expect(formatDate(Date.UTC(2027, 9, 31, 2, 30), 'DD.MM.YYYY HH:mm', TZ)).toBe('31.10.2027 03:30');
  });

  test('decimals round half away from zero on the stored integers (no 1.005 → 1.00)', () => {
    expect(formatDecimal(1005, 1000, 2, '.')).toBe('1.01');
    expect(formatDecimal(-1005, 1000, 2, ',')).toBe('-1,01');
    expect(formatDecimal(-4, 1000, 2, '.')).toBe('0.00');
    expect(formatDecimal(1_800_000, 3_600_000, 0, '.')).toBe('1');
    expect(formatDecimal(1_799_999, 3_600_000, 0, '.')).toBe('0');
    expect(formatDecimal(5, 1000, 3, '.')).toBe('0.005');
    expect(formatDecimal(9_007_199_254_740_991, 1, 2, '.')).toBe('9007199254740991.00');
  });

  test('BOM and CRLF: the exact UTF-8 bytes', () => {
    const format = parse({ kind: 'delimited', separator: ';', bom: true, columns: [{ field: 'point.city', header: 'By' }] });
    const out = render(format, [row({ point: { number: null, address: 'x', postalCode: null, city: 'Køge' } })], { timeZone: TZ });
    expect([...Buffer.from(out.text, 'utf8')]).toEqual([0xef, 0xbb, 0xbf, 0x42, 0x79, 0x0d, 0x0a, 0x4b, 0xc3, 0xb8, 0x67, 0x65, 0x0d, 0x0a]);
  });

  test('no rows and no header: an empty file', () => {
    expect(render(parse({ kind: 'delimited', header: false, columns: [{ field: 'meter.id' }] }), [], { timeZone: TZ }).text).toBe('');
  });
});

describe('format definition', () => {
  test('names unknown fields, units a field cannot have, and fixed columns without width', () => {
    const r = ExportFormat.safeParse({
      kind: 'fixed',
      columns: [{ field: 'meter.colour', width: 3 }, { field: 'reading.volume', unit: 'kWh', width: 5 }, { field: 'meter.serial' }]
    });
    expect(r.success).toBe(false);
    const issues = r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(issues).toEqual([
      'columns.0.field: no export field "meter.colour" (see GET /api/exports/fields)',
      'columns.1.unit: "reading.volume" cannot be given in kWh (units: m3, l)',
      'columns.2.width: a fixed-width file needs a width for every column'
    ]);
  });

  test('defaults: semicolon, quote when needed, header, ISO dates, CRLF, no BOM, no interpolation', () => {
    expect(parse({ kind: 'delimited', columns: [{ field: 'meter.id' }] })).toEqual({
      kind: 'delimited',
      separator: ';',
      quote: 'needed',
      header: true,
      decimalMark: '.',
      dateFormat: 'iso',
      lineEnd: 'CRLF',
      bom: false,
      interpolate: false,
      columns: [{ field: 'meter.id' }]
    });
  });
});
