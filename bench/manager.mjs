// The Manager in Chromium with 100,000 meters (issue 6), against the built app on the real server
// (fresh data folder, DEMO=0) seeded by bench/lib/manager-seed.mjs through the CSV import API:
//
//   manager.map.fps     frames/s while the map of all 100,000 meters (/manager/meters?view=map) is
//                       dragged with the mouse for 3 s, counted with requestAnimationFrame in the
//                       page. Target: >= 50 fps.
//   manager.search_ms   ms from a keystroke to the list's rows for it (median), search-as-you-type on
//                       /manager/meters (bench/lib/manager-search.mjs). Target: < 100 ms.
//   manager.scroll_fps  frames/s while the list scrolls (bench/lib/manager-search.mjs). Target: no
//                       dropped frames.
//   manager.graph_ms    ms until a 13-month hourly consumption graph is drawn (median,
//                       bench/lib/manager-graph.mjs). Target: < 200 ms.
//
// Run alone: node bench/manager.mjs

import { pathToFileURL } from 'node:url';
import { launch, panFrames, signedIn, startServer } from './lib/browser.mjs';
import { measureGraph } from './lib/manager-graph.mjs';
import { measureScroll, measureSearch } from './lib/manager-search.mjs';
import { seedManager } from './lib/manager-seed.mjs';

const METERS = 100_000;
const PAN_MS = 3_000;
const VIEWPORT = { width: 1280, height: 800 };

export const figures = ['manager.map.fps', 'manager.search_ms', 'manager.scroll_fps', 'manager.graph_ms'];

export async function mapFps(page) {
  await page.goto('/manager/meters?view=map&bench');
  await page.waitForFunction(() => window.__managerMap !== undefined, null, { timeout: 60_000 });
  const map = page.getByTestId('manager-map');
  await map.and(page.locator(`[data-count="${METERS}"][data-loading="false"]`)).waitFor({ timeout: 120_000 });
  const box = await map.boundingBox();
  if (!box) throw new Error('the map is not on the screen');
  // zoomed in two steps from the whole town: hundreds of clusters, the densest useful view
  await page.evaluate(() => window.__managerMap.map.getView().adjustZoom(2));
  await page.waitForTimeout(1_000);
  const { frames, seconds: elapsed } = await panFrames(page, box, PAN_MS);
  const drawn = await map.evaluate((el) => `${el.dataset.clusters} clusters, ${el.dataset.meters} single meters`);
  process.stderr.write(`manager.map.fps: ${frames} frames in ${elapsed.toFixed(1)} s, ${METERS} meters (${drawn} drawn)\n`);
  return frames / elapsed;
}

export async function run(report, only) {
  const server = await startServer();
  const browser = await launch();
  try {
    const context = await signedIn(browser, server.base, { viewport: VIEWPORT });
    const t0 = Date.now();
    await seedManager(context.request, { count: METERS, log: (s) => process.stderr.write(`manager seed: ${s}\n`) });
    process.stderr.write(`manager seed: ${METERS} meters in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    const page = await context.newPage();

    // map >= 50 fps
    if (only('manager.map.fps')) report('manager.map.fps', await mapFps(page), 'fps');

    // search < 100 ms keystroke to rendered rows
    if (only('manager.search_ms')) {
      await page.goto('/manager/meters');
      report('manager.search_ms', await measureSearch(page, { term: 'Nørregade 12' }), 'ms');
    }
    // list scrolling without dropped frames
    if (only('manager.scroll_fps')) {
      await page.goto('/manager/meters');
      const { fps, dropped } = await measureScroll(page);
      process.stderr.write(`manager.scroll_fps: ${dropped} dropped frames\n`);
      report('manager.scroll_fps', fps, 'fps');
    }
    // 13-month hourly graph < 200 ms
    if (only('manager.graph_ms')) report('manager.graph_ms', await measureGraph(page, { baseUrl: server.base }), 'ms');
    await context.close();
  } finally {
    await browser.close();
    server.stop();
  }
}

// node bench/manager.mjs: the figures of this module alone
if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  await run((name, value, unit) => process.stdout.write(`BENCH ${name} ${typeof value === 'number' ? value.toFixed(1) : value} ${unit}\n`), () => true);
}
