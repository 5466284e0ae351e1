// The decoder inside a real worker in Chromium: the published vectors of tests/fixtures/wmbus go
// through the field app's telegram inspector, which decodes in the Comlink worker (style.md §6:
// "the same fixtures also run once inside a real worker").
import { expect, test, type Page } from '@playwright/test';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { signIn } from './session';

interface Expect {
  id?: string;
  manufacturer?: string;
  accessNumber?: number;
  securityMode?: number;
  values?: [number | string, string, number?][];
}
interface Fixture {
  name: string;
  hex?: string;
  key?: string;
  full?: string;
  compact?: string;
  crcs?: string;
  emptyFormats?: boolean;
  expect?: Expect;
  expectFull?: Expect;
  expectCompact?: Expect;
  expectIssues?: string[];
  expectOk?: boolean;
}

const dir = join(process.cwd(), 'tests/fixtures/wmbus');
const fixtures = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => ({ file: f, ...(JSON.parse(readFileSync(join(dir, f), 'utf8')) as Fixture) }))
  // the inspector detects CRCs and keeps learnt formats; these fixtures need other options
  .filter((f) => !f.crcs && !f.emptyFormats);

async function decode(page: Page, hex: string, key = '') {
  await page.getByLabel('Telegram (hex)').fill(hex);
  await page.getByLabel(/AES key/).fill(key);
  await page.getByRole('button', { name: 'Decode', exact: true }).click();
  await expect(page.getByRole('heading', { level: 2, name: /^(Decoded|Not decoded)/ })).toBeVisible();
}

async function expectValues(page: Page, e: Expect) {
  if (e.id) await expect(page.getByRole('heading', { level: 2, name: new RegExp(`${e.manufacturer ?? '\\w{3}'} ${e.id}`) })).toBeVisible();
  const records = page.getByRole('region', { name: 'Records' });
  for (const [value, unit] of e.values ?? []) {
    const text = typeof value === 'number' ? `${+value.toPrecision(12)} ${unit}` : `${value} ${unit}`;
    await expect(records.getByRole('cell', { name: text, exact: true }).first(), `${text}`).toBeVisible();
  }
}

test.describe('@decoder decoding in a worker', () => {
  test.beforeEach(async ({ page }) => {
    await signIn(page);
    await page.goto('/field/inspect');
  });

  test('the published vectors decode in the worker to the values their sources state', async ({ page }) => {
    expect(fixtures.length).toBeGreaterThan(10);
    for (const f of fixtures) {
      await test.step(f.name, async () => {
        if (f.full && f.compact) {
          await decode(page, f.full, f.key);
          await expect(page.getByRole('heading', { level: 2, name: /^Decoded/ })).toBeVisible();
          await expectValues(page, f.expectFull!);
          await decode(page, f.compact, f.key);
          await expect(page.getByRole('heading', { level: 2, name: /^Decoded/ })).toBeVisible();
          await expectValues(page, f.expectCompact!);
        } else if (f.expectIssues) {
          await decode(page, f.hex!, f.key);
          const issues = page.getByRole('region', { name: 'Issues' });
          for (const code of f.expectIssues) await expect(issues.getByText(code, { exact: true }).first()).toBeVisible();
          const verdict = f.expectOk ? /^Decoded/ : /^Not decoded/;
          await expect(page.getByRole('heading', { level: 2, name: verdict })).toBeVisible();
        } else if (f.expect?.values) {
          await decode(page, f.hex!, f.key);
          await expect(page.getByRole('heading', { level: 2, name: /^Decoded/ })).toBeVisible();
          await expectValues(page, f.expect);
        } else {
          // vectors about the layers (TV-1 CRC blocks, TV-6 mode 5 decryption): header and security
          const e = f.expect!;
          await decode(page, f.hex!, f.key);
          await expect(page.getByRole('heading', { level: 2, name: /ecoded: / })).toHaveText(new RegExp(`${e.manufacturer} ${e.id}$`));
          const facts = page.getByRole('region', { name: /ecoded: / }).getByRole('definition');
          if (e.accessNumber !== undefined) await expect(facts.filter({ hasText: new RegExp(`^${e.accessNumber}$`) })).toBeVisible();
          if (e.securityMode) await expect(facts.filter({ hasText: `mode ${e.securityMode}, decrypted` })).toBeVisible();
        }
      });
    }
    expect(page.workers().length).toBeGreaterThan(0);
  });

  test('a wrong key, no key and bad input get specific, readable answers', async ({ page }) => {
    const tv4 = '2A442D2C998734761B168D2091D37CAC21E1D68CDAFFCD3DC452BD802913FF7B1706CA9E355D6C2701CC24';
    await decode(page, tv4, '00112233445566778899AABBCCDDEEFF');
    await expect(page.getByRole('heading', { level: 2, name: /ecoded: / })).toHaveText('Not decoded: KAM 76348799');
    await expect(page.getByRole('region', { name: 'Issues' })).toContainText('wrong-key');
    await expect(page.getByRole('region', { name: 'Issues' })).not.toContainText('00112233445566778899AABBCCDDEEFF');

    await decode(page, tv4);
    await expect(page.getByRole('region', { name: 'Issues' })).toContainText('no-key');
    await expect(page.getByRole('region', { name: 'Byte map' })).toContainText('76348799');

    await page.getByLabel('Telegram (hex)').fill('not a telegram');
    await page.getByRole('button', { name: 'Decode', exact: true }).click();
    await expect(page.getByRole('alert')).toHaveText('Not a telegram: enter hex digits (spaces are allowed).');

    await page.getByLabel('Telegram (hex)').fill(tv4);
    await page.getByLabel(/AES key/).fill('1234');
    await page.getByLabel('Telegram (hex)').press('Control+Enter');
    await expect(page.getByRole('alert')).toHaveText('The key must be 32 hex digits (16 bytes); got 4 digits.');
  });

  test('a capture file decodes in the worker with a summary by reason', async ({ page }) => {
    const tv4 = fixtures.find((f) => f.file === 'tv-4-multical21-full-ctr.json')!;
    const lines = [
      '# three lines from a receiver log',
      JSON.stringify({ hex: tv4.hex, key: tv4.key }),
      tv4.hex, // no key on this device
      'zz not hex'
    ];
    await page.getByLabel('Capture file', { exact: true }).setInputFiles({ name: 'capture.jsonl', mimeType: 'text/plain', buffer: Buffer.from(lines.join('\n')) });
    await page.getByRole('button', { name: 'Decode file' }).click();
    const summary = page.getByTestId('capture-summary');
    await expect(summary).toContainText('3 telegrams from 1 meter: 1 decoded');
    await expect(page.getByRole('listitem').filter({ hasText: 'no key for the meter' })).toHaveText('1 no key for the meter');
    await expect(page.getByRole('listitem').filter({ hasText: 'not hex digits' })).toHaveText('1 not hex digits');
    await expect(page.getByRole('cell', { name: '6.408 m3' })).toBeVisible();
  });
});
