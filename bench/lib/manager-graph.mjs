// manager.graph.ms: the Manager's consumption graph of a metering point with 13 months of hourly
// readings (about 9,500 bars). The readings are real MULTICAL 21 telegrams made by the project's
// own encoder (the built shared/ library in dist/, as server/src/demo/telegrams.ts makes them),
// encrypted with the meter's key and ingested through POST /api/ingest/frames like a gateway's.
// Measured in the page: from choosing hourly bars (the interval change) to uPlot's draw hook
// having drawn them (data-drawn on the chart), which includes the API call and its answer.
import { aesKey } from '../../dist/server/shared/crypto/aes.js';
import { encodeRecords } from '../../dist/server/shared/mbus/encode-records.js';
import { encodeTelegram } from '../../dist/server/shared/wmbus/encode.js';

const HOUR = 3_600_000;
const RUNS = 9; // 5 hourly draws (every other run switches back to months)

const hexOf = (bytes) => Buffer.from(bytes).toString('hex').toUpperCase();

/**
 * One MULTICAL 21 C1 telegram (KAM, version 0x1B, type 0x16) behind an ELL with AES-CTR
 * (protocols.md §2.2, §4): total volume in litres (13) and the 16-bit info code (02 FF 20, §4.5.2).
 */
export function waterTelegram({ serial, key, volumeL, info = 0, counter }) {
  const payload = encodeRecords([
    { type: 'int32', quantity: 'volume l', value: Math.round(volumeL) },
    { type: 'int16', vif: [0xff, 0x20], value: info }
  ]);
  const sn = ((1 << 29) | ((counter & 0x1ffffff) << 4) | (counter & 0xf)) >>> 0;
  return hexOf(
    encodeTelegram({
      address: { manufacturer: 'KAM', id: serial, version: 0x1b, deviceType: 0x16 },
      ell: { ci: 0x8d, cc: 0x20, acc: counter & 0xff, sn, key: aesKey(Buffer.from(key, 'hex')) },
      tpl: { header: 'none', payload }
    })
  );
}

async function ok(res, what) {
  if (!res.ok()) throw new Error(`${what}: ${res.status()} ${await res.text()}`);
  return res.json();
}

/** A MULTICAL 21 water meter through the API: created, given its key, installed at `pointId` from `from`. */
export async function addWaterMeter(request, base, { serial, key, pointId, from }) {
  const { meter } = await ok(
    await request.post(`${base}/api/meters`, {
      data: { manufacturer: 'KAM', serial, version: 0x1b, deviceType: 0x16, medium: 'water', model: 'MULTICAL 21', driver: 'kamstrup-multical21' }
    }),
    'meter'
  );
  await ok(await request.put(`${base}/api/meters/${meter.id}/key`, { data: { key } }), 'key');
  if (pointId) await ok(await request.post(`${base}/api/meters/${meter.id}/install`, { data: { meteringPointId: pointId, from } }), 'install');
  return meter.id;
}

/** Ingests readings [{at, volumeL, info}] of a meter as its telegrams; every frame must decode. */
export async function ingestReadings(request, base, { serial, key, readings, counter = 1 }) {
  for (let i = 0; i < readings.length; i += 5000) {
    const frames = readings.slice(i, i + 5000).map((r, j) => ({
      hex: waterTelegram({ serial, key, volumeL: r.volumeL, info: r.info ?? 0, counter: counter + i + j }),
      receivedAt: r.at,
      source: 'Bench gateway'
    }));
    const { counts } = await ok(await request.post(`${base}/api/ingest/frames`, { data: { frames } }), 'ingest');
    if ((counts.decoded ?? 0) !== frames.length) throw new Error(`ingest: expected ${frames.length} decoded frames, got ${JSON.stringify(counts)}`);
  }
}

/**
 * Median ms from switching the graph to hourly bars over the last 13 months to the chart drawn.
 * `page` is signed in as an administrator.
 */
export async function measureGraph(page, { baseUrl }) {
  const request = page.request;
  const serial = String(30_000_000 + (Date.now() % 9_000_000));
  const key = '4F'.repeat(8) + 'A1'.repeat(8);
  const { meteringPoint } = await ok(
    await request.post(`${baseUrl}/api/metering-points`, { data: { address: `Bench graph ${serial}`, number: `MPG-${serial}` } }),
    'point'
  );
  const end = Math.floor(Date.now() / HOUR) * HOUR;
  const start = end - 400 * 24 * HOUR; // covers "the last 13 months" from the first of a month
  const meterId = await addWaterMeter(request, baseUrl, { serial, key, pointId: meteringPoint.id, from: start - HOUR });
  const readings = [];
  let litres = 250_000;
  for (let at = start, h = 0; at <= end; at += HOUR, h++) {
    const hourOfDay = h % 24;
    litres += hourOfDay < 6 ? 0 : 5 + ((h * 7919) % 23); // night without flow, day a few litres
    readings.push({ at, volumeL: litres, info: h % 500 === 499 ? 1 : 0 });
  }
  await ingestReadings(request, baseUrl, { serial, key, readings });

  await page.goto(`${baseUrl}/manager/meters/${meterId}?preset=13m&resolution=month`);
  const chart = page.locator('[data-drawn]');
  await chart.and(page.locator('[data-bars="13"]')).waitFor({ timeout: 30_000 });
  const times = [];
  for (let run = 0; run < RUNS; run++) {
    const res = run % 2 === 0 ? 'hour' : 'month';
    const ms = await page.evaluate(
      (res) =>
        new Promise((resolve, reject) => {
          const plot = document.querySelector('[data-drawn]');
          const radio = document.querySelector(`input[name="resolution"][value="${res}"]`);
          if (!plot || !radio) return reject(new Error('no chart or resolution control on the page'));
          const before = plot.getAttribute('data-drawn');
          const t0 = performance.now();
          const obs = new MutationObserver(() => {
            const bars = Number(plot.getAttribute('data-bars'));
            const done = plot.getAttribute('data-drawn') !== before && (res === 'hour' ? bars > 9000 : bars === 13);
            if (done) (obs.disconnect(), resolve(performance.now() - t0));
          });
          obs.observe(plot, { attributes: true });
          radio.click();
          setTimeout(() => (obs.disconnect(), reject(new Error(`the ${res} graph was not drawn within 30 s`))), 30_000);
        }),
      res
    );
    if (res === 'hour') times.push(ms);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}
