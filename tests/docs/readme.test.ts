// The README's meters table is generated from the driver registry (style.md §9), so it cannot
// drift: this test fails when they differ; `UPDATE_README=1 npx vitest run tests/docs` rewrites it.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { driverTable } from '../../shared/drivers/index';

const README = join(__dirname, '../../README.md');
const START = '<!-- meters:start (generated from shared/drivers by tests/docs/readme.test.ts) -->';
const END = '<!-- meters:end -->';

function metersTable(): string {
  const rows = driverTable().map(
    (d) => `| ${d.name} | ${d.medium} | ${d.meters.join(', ')} | \`${d.id}\` |`
  );
  return ['| meter | medium | manufacturer, version, device type (hex) | driver |', '|---|---|---|---|', ...rows].join('\n');
}

test('the README lists every meter driver', () => {
  const text = readFileSync(README, 'utf8');
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  expect(start, 'README has the meters markers').toBeGreaterThan(-1);
  const wanted = `${START}\n${metersTable()}\n${END}`;
  const current = text.slice(start, end + END.length);
  if (process.env.UPDATE_README && current !== wanted) {
    writeFileSync(README, text.slice(0, start) + wanted + text.slice(end + END.length));
    return;
  }
  expect(current).toBe(wanted);
});
