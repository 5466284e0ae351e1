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
// The search, scroll and graph helpers are imported when present: a missing one prints its figure
// as "n/a" ("# not built"), so the rest still runs.
//
// Run alone: node bench/manager.mjs

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { launch, signedIn, startServer } from './lib/browser.mjs';
import { seedManager } from './lib/manager-seed.mjs';

const LIB = join(dirname(fileURLToPath(import.meta.url)), 'lib');
const METERS = 100_000;
const PAN_MS = 3_000;
const VIEWPORT = { width: 1280, height: 800 };

export const figures = ['manager.map.fps', 'manager.search_ms', 'manager.scroll_fps', 'manager.graph_ms'];

/** A bench helper module written beside this one, or null when it is not there (yet). */
async function helper(file) {
  const path = join(LIB, file);
  return existsSync(path) ? import(pathToFileURL(path).href) : null;
}

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
  await page.evaluate(() => {
    const w = window;
    w.__frames = 0;
    w.__counting = true;
    const tick = () => {
      if (!w.__counting) return;
      w.__frames++;
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  const t0 = Date.now();
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  await page.mouse.move(cx, cy);
  await page.mouse.down();
  let step = 0;
  while (Date.now() - t0 < PAN_MS) {
    step++;
    // a slow circle of 150 px: the map keeps moving the whole time
    const a = (step / 60) * Math.PI;
    await page.mouse.move(cx + 150 * Math.cos(a), cy + 150 * Math.sin(a));
  }
  await page.mouse.up();
  const elapsed = (Date.now() - t0) / 1000;
  const frames = await page.evaluate(() => ((window.__counting = false), window.__frames));
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

    const search = await helper('manager-search.mjs');
    // search < 100 ms keystroke to rendered rows
    if (only('manager.search_ms')) {
      if (search) {
        await page.goto('/manager/meters');
        report('manager.search_ms', await search.measureSearch(page, { term: 'Nørregade 12' }), 'ms');
      } else report('manager.search_ms', 'n/a', 'ms  # not built');
    }
    // list scrolling without dropped frames
    if (only('manager.scroll_fps')) {
      if (search) {
        await page.goto('/manager/meters');
        const { fps, dropped } = await search.measureScroll(page);
        process.stderr.write(`manager.scroll_fps: ${dropped} dropped frames\n`);
        report('manager.scroll_fps', fps, 'fps');
      } else report('manager.scroll_fps', 'n/a', 'fps  # not built');
    }

    // 13-month hourly graph < 200 ms
    if (only('manager.graph_ms')) {
      const graph = await helper('manager-graph.mjs');
      if (graph) report('manager.graph_ms', await graph.measureGraph(page, { baseUrl: server.base }), 'ms');
      else report('manager.graph_ms', 'n/a', 'ms  # not built');
    }
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
