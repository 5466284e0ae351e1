// The Manager's meter list under load (issue 6 targets), on /manager/meters already loaded with
// 100,000 meters (the bench driver seeds and navigates):
//
//   measureSearch(page, { term | terms, runs })  ms from the keydown of a search's last character
//       to the next animation frame after the list shows that search's rows (the results element's
//       data-query, set in the same render as the rows). Each term is typed character by
//       character as a person types (80 ms apart), so the earlier keystrokes' requests are in
//       flight and must be aborted. Median over terms × runs.                   target < 100 ms
//   measureScroll(page, { ms, pxPerFrame })  the grid scrolled by requestAnimationFrame for ~2 s,
//       120 px (3 rows) a frame by default, a fast flick (7,200 px/s at 60 Hz), across unloaded pages:
//       { fps, dropped } where dropped counts frame intervals over 1.5× the median interval.

const RESULTS = '[data-testid="meter-results"]';
const SEARCH = 'input[type="search"]';
const GRID = '[role="grid"][aria-label="Meters"]';

const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Clears the search box and waits until the unfiltered list is on screen. */
async function clearSearch(page) {
  await page.locator(SEARCH).fill('');
  await page.waitForFunction((sel) => document.querySelector(sel)?.getAttribute('data-query') === '', RESULTS, { timeout: 30_000 });
}

/** One search: the term's last keystroke → its rows rendered, in ms. */
async function timeOne(page, term) {
  await clearSearch(page);
  const input = page.locator(SEARCH);
  await input.focus();
  if (term.length > 1) await page.keyboard.type(term.slice(0, -1), { delay: 80 });
  await page.waitForTimeout(80);
  // the listener is in place (awaited) before the key goes down
  await page.evaluate(
    ({ sel, input, term }) => {
      window.__searchTiming = new Promise((resolve, reject) => {
        const box = document.querySelector(input);
        const results = document.querySelector(sel);
        if (!box || !results) return reject(new Error('the meter list is not on the page'));
        let t0 = 0;
        box.addEventListener('keydown', () => (t0 = performance.now()), { once: true, capture: true });
        const observer = new MutationObserver(() => {
          if (!t0 || results.getAttribute('data-query') !== term) return;
          observer.disconnect();
          requestAnimationFrame(() => resolve(performance.now() - t0));
        });
        observer.observe(results, { attributes: true, attributeFilter: ['data-query'] });
        setTimeout(() => reject(new Error(`search "${term}": no rows 30 s after the last keystroke`)), 30_000);
      });
    },
    { sel: RESULTS, input: SEARCH, term }
  );
  await page.keyboard.press(term.slice(-1));
  return page.evaluate(() => window.__searchTiming);
}

export async function measureSearch(page, { term, terms, runs = 3 } = {}) {
  const list = terms ?? (term ? [term] : []);
  if (!list.length) throw new TypeError('measureSearch: expected term or terms');
  await page.locator(RESULTS).waitFor({ timeout: 60_000 });
  const times = [];
  for (let r = 0; r < runs; r++) {
    for (const t of list) times.push(await timeOne(page, t));
  }
  return median(times);
}

export async function measureScroll(page, { ms = 2000, pxPerFrame = 120 } = {}) {
  await page.locator(GRID).waitFor({ timeout: 60_000 });
  return page.evaluate(
    ({ sel, ms, pxPerFrame }) =>
      new Promise((resolve) => {
        const grid = document.querySelector(sel);
        grid.scrollTop = 0;
        const stamps = [];
        const start = performance.now();
        const frame = (now) => {
          stamps.push(now);
          if (now - start >= ms) {
            const gaps = stamps.slice(1).map((t, i) => t - stamps[i]);
            const sorted = [...gaps].sort((a, b) => a - b);
            const mid = sorted[Math.floor(sorted.length / 2)] ?? 0;
            const seconds = (stamps[stamps.length - 1] - stamps[0]) / 1000;
            resolve({ fps: Math.round((gaps.length / seconds) * 10) / 10, dropped: gaps.filter((g) => g > mid * 1.5).length });
            return;
          }
          grid.scrollTop += pxPerFrame;
          requestAnimationFrame(frame);
        };
        requestAnimationFrame(frame);
      }),
    { sel: GRID, ms, pxPerFrame }
  );
}
