// field.map.fps: the route map with 10,000 meters while it is panned and telegrams arrive.
// The office side is real (CSV imports, groups, an authorised device with the route); the field
// app receives the route by Send/Receive and reads through the simulated iM871A behind the fake
// navigator.serial. The simulated receiver is given the 800 meters around a parked car (each sends
// every 16 s; those in range are heard) and runs 6 × faster than real time, which makes about
// 50 telegrams/s arrive (printed on stderr as measured). The map is dragged with the mouse for
// 5 s; frames are counted with requestAnimationFrame in the page (a frame the main thread misses
// is a frame the reader does not see).
import { authoriseDevice, makeDrive, seedDrive } from './seed.mjs';
import { panFrames, signedIn } from './browser.mjs';

const METERS = 10_000;
const HEARD = 800;
const PAN_MS = 5_000;

export async function measureMapFps(browser, base) {
  const drive = makeDrive({ count: METERS, seed: 5, perStreet: 200, spacingM: 10 });
  const context = await signedIn(browser, base, { viewport: { width: 1280, height: 800 } });
  const { groupIds } = await seedDrive(context.request, drive, { groups: [{ name: 'Bench route', from: 0, to: METERS }] });

  // the car parks amid the first 800 meters (4 streets, 1 km each)
  const heard = drive.meters.slice(0, HEARD);
  const mid = heard[Math.floor(HEARD / 2)].position;
  const sim = { seed: 5, startEpochMs: Date.now(), speed: 6, meters: heard, route: { points: [mid, { lat: mid.lat + 0.0001, lon: mid.lon }], speedKmh: 1 } };
  await context.addInitScript((c) => ((globalThis).__READOUT_SIM__ = c), sim);

  const page = await context.newPage();
  await page.goto('/field/sync');
  await page.getByLabel('Device name').fill('Bench tablet');
  await page.getByRole('button', { name: 'Register this device' }).click();
  await page.getByTestId('device-status').filter({ hasText: 'Waiting for authorisation' }).waitFor();
  await authoriseDevice(context.request, 'Bench tablet', groupIds);
  await page.getByRole('button', { name: 'Check again' }).click();
  await page.getByTestId('device-status').filter({ hasText: 'Authorised' }).waitFor();
  await page.getByTestId('sync-button').click();
  await page.getByTestId('sync-last-run').filter({ hasText: /Received 10,000 meters/ }).waitFor({ timeout: 120_000 });

  await page.goto('/field/route?bench');
  await page.waitForFunction(() => window.__routeMap !== undefined, null, { timeout: 60_000 });
  const panel = page.getByTestId('connect-panel');
  await panel.locator('input[type=radio][value=serial]').check();
  await panel.getByTestId('connect').click();
  await panel.getByTestId('connection-status').and(page.locator('[data-status=open]')).waitFor({ timeout: 30_000 });
  // let the first burst (every meter's first telegram) pass, as on the road after a minute
  await page.waitForTimeout(20_000);

  const box = await page.locator('.ol-viewport').first().boundingBox();
  if (!box) throw new Error('the map is not on the screen');
  const telegramsBefore = Number(await page.getByTestId('connection-telegrams').textContent());
  const { frames, seconds: elapsed } = await panFrames(page, box, PAN_MS);
  const telegrams = Number(await page.getByTestId('connection-telegrams').textContent()) - telegramsBefore;
  process.stderr.write(`field.map.fps: ${frames} frames in ${elapsed.toFixed(1)} s while ${telegrams} telegrams arrived (${(telegrams / elapsed).toFixed(0)}/s), ${METERS} meters\n`);
  await context.close();
  return frames / elapsed;
}
