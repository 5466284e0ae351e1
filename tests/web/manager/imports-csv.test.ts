// What the imports page reads from a file before sending it (M14): header cells, the separator,
// a mapping by name, the saved mapping that fits.
import { describe, expect, test } from 'vitest';
import { bestSaved, csvCell, detectSeparator, guessMapping, headerOf, type SavedMapping } from '../../../web/src/routes/manager/operation/imports/imports-api';

describe('reading the header line', () => {
  test('quotes, a BOM, CRLF and the separator inside quotes', () => {
    expect(headerOf('\uFEFFa;"b;c";"say ""hi""" \r\n1;2;3', ';')).toEqual(['a', 'b;c', 'say "hi"']);
    expect(headerOf('one,two\n1,2', ';')).toEqual(['one,two']);
    expect(headerOf('x', ',')).toEqual(['x']);
  });

  test('the separator that gives the most columns', () => {
    expect(detectSeparator('number;name;e-mail, private\n')).toBe(';');
    expect(detectSeparator('number,name\n')).toBe(',');
    expect(detectSeparator('number\tname\tcity\n')).toBe('\t');
    expect(detectSeparator('number|name\n')).toBe('|');
    expect(detectSeparator('number\n')).toBe(',');
  });
});

describe('mapping', () => {
  const fields = [{ name: 'meteringPointNumber', required: true }, { name: 'serial', required: true }, { name: 'manufacturer', required: true }];

  test('columns named like a field (case, spaces, _ and - ignored) are mapped once', () => {
    expect(guessMapping(['Metering point number', 'SERIAL', 'serial', 'Zähler'], fields)).toEqual({
      'Metering point number': 'meteringPointNumber',
      SERIAL: 'serial',
      serial: null,
      Zähler: null
    });
  });

  test('the saved mapping whose columns are all in the file, the one knowing the most', () => {
    const saved = (id: number, mapping: Record<string, string | null>): SavedMapping => ({ id, name: `m${id}`, kind: 'meters', separator: ';', mapping });
    const small = saved(1, { Nr: 'serial' });
    const big = saved(2, { Nr: 'serial', Hersteller: 'manufacturer', Egal: null });
    const foreign = saved(3, { Nr: 'serial', Hersteller: 'manufacturer', Punkt: 'meteringPointNumber' });
    expect(bestSaved(['Nr', 'Hersteller'], [small, big, foreign])).toBe(big);
    expect(bestSaved(['Serial'], [small, big])).toBeNull();
    const newer = saved(4, { Nr: 'serial', Hersteller: 'manufacturer' });
    expect(bestSaved(['Nr', 'Hersteller'], [big, newer])).toBe(newer); // equally good: the newest
    expect(bestSaved(['Nr', 'Hersteller'], [newer, big])).toBe(newer);
  });

  test('CSV cells are quoted only when needed', () => {
    expect([csvCell(4), csvCell(null), csvCell('a, b'), csvCell('say "x"')].join(',')).toBe('4,,"a, b","say ""x"""');
  });
});
