// Renders web/static/icons/icon.svg to the PNG sizes the web app manifest lists, in Chromium.
// Run after changing the SVG: node scripts/make-icons.mjs (the PNGs are committed).
import { chromium } from '@playwright/test';
import { readFileSync } from 'node:fs';

const svg = readFileSync('web/static/icons/icon.svg', 'utf8');
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
const page = await browser.newPage();
for (const [name, size, pad] of [['icon-192.png', 192, 0], ['icon-512.png', 512, 0], ['icon-maskable-512.png', 512, 0.1]]) {
  await page.setViewportSize({ width: size, height: size });
  // maskable: the safe zone is the inner 80 %, so draw the icon smaller on a full bleed background
  const inner = Math.round(size * (1 - 2 * pad));
  await page.setContent(
    `<body style="margin:0;background:#0b5cad;display:grid;place-items:center;height:${size}px">` +
      `<img style="width:${inner}px;height:${inner}px" src="data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}"></body>`
  );
  await page.screenshot({ path: `web/static/icons/${name}`, omitBackground: pad === 0 });
}
await browser.close();
