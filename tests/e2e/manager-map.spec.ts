// The Manager map (M1) on /manager/meters?view=map: 50 meters of two makes seeded through the CSV
// import API, clustered; the counts the map shows equal what was seeded per group, a cluster click
// and the keyboard zoom in, a click on a single meter opens its page, a group without positions
// says so. `?bench` exposes the map's controller (window.__managerMap) to find a meter's pixel.
import { expect, test, type Page } from '@playwright/test';
import { makeDrive, seedDrive } from '../../bench/lib/seed.mjs';
import { signIn } from './session';

test.describe.configure({ mode: 'serial', timeout: 90_000 });
// the service worker would fetch (and cache) tiles itself, out of page.route's sight
test.use({ serviceWorkers: 'block' });

/** Names and serials are unique per attempt: a retry runs against the same server. */
const run = Date.now().toString(36);

interface MapProbe {
  map: { getView(): { getZoom(): number | undefined } };
  source: { getFeatures(): { get(k: string): unknown; getId(): unknown; getGeometry(): { getCoordinates(): number[] } }[] };
  focus(id: number): Promise<number[] | null>;
}
declare global {
  interface Window {
    __managerMap?: MapProbe;
  }
}

const mapOf = (page: Page) => page.getByTestId('manager-map');

async function openMap(page: Page, group: number | string) {
  await page.goto(`/manager/meters?view=map&group=${group}&bench`);
  await page.waitForFunction(() => window.__managerMap !== undefined);
  await expect(mapOf(page)).toHaveAttribute('data-loading', 'false');
}

/** Meters drawn now: clusters' counts plus single meters, as the map shows them. */
const drawnTotal = (page: Page) =>
  page.evaluate(() => window.__managerMap!.source.getFeatures().reduce((n, f) => n + (f.get('count') as number), 0));

const zoom = (page: Page) => page.evaluate(() => window.__managerMap!.map.getView().getZoom() ?? 0);

test('@manager the map shows a group\'s meters clustered, follows the group, zooms in and opens a meter', async ({ page }) => {
  await signIn(page);
  const drive = makeDrive({ count: 50, seed: 900 + (Date.now() % 90), perStreet: 10 });
  const all = `E2E map all ${run}`;
  const part = `E2E map part ${run}`;
  const { ids, groupIds } = await seedDrive(page.request, drive, { groups: [{ name: all, from: 0, to: 50 }, { name: part, from: 0, to: 20 }] });
  const kamstrup = drive.meters.filter((m) => m.manufacturer === 'KAM').length;
  expect(kamstrup).toBeGreaterThan(0);
  expect(kamstrup).toBeLessThan(50); // both makes are on the map

  await openMap(page, groupIds[0]);
  const map = mapOf(page);
  await expect(map).toHaveAttribute('aria-label', /^Map of 50 meters\./);
  await expect(map).toHaveAttribute('data-count', '50');
  await expect(page.locator('.ol-viewport canvas').first()).toBeVisible();
  const legend = page.getByRole('list', { name: 'Map legend' });
  await expect(legend).toContainText('Kamstrup');
  await expect(legend).toContainText('Other makes');
  await expect.poll(() => drawnTotal(page)).toBe(50);
  // the whole group fits the view: the meters are clustered, each cluster labelled with its count
  expect(Number(await map.getAttribute('data-clusters'))).toBeGreaterThan(0);

  // the map follows the group picked on the page (a client-side navigation: the same map, new data)
  await page.evaluate((href) => {
    (window as unknown as { __samePage: boolean }).__samePage = true;
    const a = document.createElement('a');
    a.href = href;
    a.textContent = 'Other group';
    document.body.append(a);
  }, `/manager/meters?view=map&group=${groupIds[1]}&bench`);
  await page.getByRole('link', { name: 'Other group' }).click();
  await expect(map).toHaveAttribute('aria-label', /^Map of 20 meters\./);
  await expect.poll(() => drawnTotal(page)).toBe(20);
  expect(await page.evaluate(() => (window as unknown as { __samePage?: boolean }).__samePage)).toBe(true);

  // keyboard: + zooms in once the map has focus
  await map.focus();
  const before = await zoom(page);
  await page.keyboard.press('+');
  await expect.poll(() => zoom(page)).toBeGreaterThan(before);

  // a click on a cluster zooms in until it falls apart
  await openMap(page, groupIds[0]);
  await expect.poll(() => drawnTotal(page)).toBe(50);
  const cluster = await page.evaluate(() => {
    const m = window.__managerMap! as unknown as { map: { getPixelFromCoordinate(c: number[]): number[] } } & MapProbe;
    const f = m.source.getFeatures().find((x) => (x.get('count') as number) > 1);
    return f ? m.map.getPixelFromCoordinate(f.getGeometry().getCoordinates()) : null;
  });
  expect(cluster).not.toBeNull();
  const box = (await map.boundingBox())!;
  const fitted = await zoom(page);
  await page.mouse.click(box.x + cluster![0], box.y + cluster![1]);
  await expect.poll(() => zoom(page)).toBeGreaterThan(fitted);

  // a single meter: centred at street level, then clicked like a person would
  const meterId = ids.get(drive.meters[7].id)!;
  const at = await page.evaluate((id) => window.__managerMap!.focus(id), meterId);
  expect(at).not.toBeNull();
  await page.mouse.click(box.x + at![0], box.y + at![1]);
  await expect(page).toHaveURL(new RegExp(`/manager/meters/${meterId}$`));
});

test('@manager a group whose meters have no position says where positions come from', async ({ page }) => {
  await signIn(page);
  const meter = await page.request.post('/api/meters', { data: { manufacturer: 'KAM', serial: `M${Date.now() % 100_000_000}` } });
  expect(meter.status()).toBe(201);
  const group = await page.request.post('/api/groups', { data: { name: `E2E map unplaced ${run}` } });
  const groupId = ((await group.json()) as { group: { id: number } }).group.id;
  await page.request.post(`/api/groups/${groupId}/members`, { data: { meterIds: [((await meter.json()) as { meter: { id: number } }).meter.id] } });

  await openMap(page, groupId);
  await expect(page.getByRole('status').filter({ hasText: 'No meter in this group has a position' })).toContainText(
    "positions come from the metering points' lat/lon"
  );
  await expect(mapOf(page)).toHaveAttribute('aria-label', /^Map of 0 meters\./);
});

test('@manager tiles come only from the URL set in this browser, and failed tiles are reported', async ({ page }) => {
  await signIn(page);
  const drive = makeDrive({ count: 3, seed: 800 + (Date.now() % 90), perStreet: 3 });
  const { groupIds } = await seedDrive(page.request, drive, { groups: [{ name: `E2E map tiles ${run}`, from: 0, to: 3 }] });
  const asked: string[] = [];
  await page.route('**/e2e-tiles/**', (route) => {
    asked.push(new URL(route.request().url()).pathname);
    return route.fulfill({ status: 404, body: 'no tile here' });
  });

  // no tile URL set (a fresh browser profile): the meters on a plain background, no tile asked for
  await openMap(page, groupIds[0]);
  await expect.poll(() => drawnTotal(page)).toBe(3);
  expect(asked).toEqual([]);
  await expect(mapOf(page)).toHaveClass(/plain/);

  // the browser's tile setting (what the field map's "Map background" form stores)
  await page.evaluate(
    (url) =>
      new Promise<void>((done, fail) => {
        const open = indexedDB.open('readout');
        open.onerror = () => fail(open.error);
        open.onsuccess = () => {
          const tx = open.result.transaction('meta', 'readwrite');
          tx.objectStore('meta').put({ key: 'map.tiles', value: { url, attribution: 'E2E tiles' } });
          tx.oncomplete = () => (open.result.close(), done());
          tx.onerror = () => fail(tx.error);
        };
      }),
    `${new URL(page.url()).origin}/e2e-tiles/{z}/{x}/{y}.png`
  );
  await openMap(page, groupIds[0]);
  await expect.poll(() => asked.length).toBeGreaterThan(0);
  expect(asked.every((p) => /^\/e2e-tiles\/\d+\/\d+\/\d+\.png$/.test(p))).toBe(true);
  await expect(page.getByRole('status').filter({ hasText: /map tiles? failed to load/ })).toBeVisible();
  await expect(page.locator('.ol-attribution')).toContainText('E2E tiles');
});
