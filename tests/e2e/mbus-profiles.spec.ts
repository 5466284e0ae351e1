// Who sees which M-Bus buttons, and configured valve profiles (issue 8, M11), end to end in
// Chromium: a simulated bus speaks the real bytes over TCP from this test process; the app's server
// reaches it as an M-Bus gateway. A superuser granted "disconnect" in the permission matrix opens
// and closes a valve; a user with only "See meters" gets no Scan, Read, Attach or valve buttons; an
// administrator adds a valve profile on its page (a bad field first, shown at that field), closes a
// simulated valve with it, is refused its deletion while the valve is known by it, then deletes it.
import { expect, test, type Browser, type Page } from '@playwright/test';
import { startSimBusServer } from '../../server/src/mbus/sim-server';
import { SimBus, type SimMbusMeter } from '../../shared/mbus/sim/index';
import { E2E_ADMIN } from './env';
import { signIn } from './session';

test.describe.configure({ mode: 'serial', timeout: 120_000 });
test.use({ viewport: { width: 1280, height: 900 } });

/** Names are unique per attempt: a retry runs against the same server. */
const run = Date.now().toString(36);
const base = 30_000_000 + ((Date.now() * 11) % 60_000_000);
const heat: SimMbusMeter = { model: 'multical-403', primaryAddress: 3, id: String(base) };
const water: SimMbusMeter = { model: 'oms-water', primaryAddress: 5, id: String(base + 1), valve: true };
const systemName = `Profiles ${run}`;
const profileName = `Bench disconnect ${run}`;
const fitter = { login: `valve-fitter-${run}`, password: 'fitter-password-1' };
const reader = { login: `reader-${run}`, password: 'reader-password-1' };

let bus: SimBus;
let sim: { port: number; close(): Promise<void> };
let systemId: number;

const deviceRow = (page: Page, m: SimMbusMeter) => page.locator(`[data-testid=mbus-device-row][data-serial="${m.id}"]`);

async function api(page: Page, method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, data?: unknown) {
  const res = await page.request.fetch(path, { method, ...(data !== undefined ? { data } : {}) });
  expect(res.ok(), `${method} ${path}: ${await res.text()}`).toBe(true);
  return res.status() === 204 ? null : res.json();
}

async function signedIn(browser: Browser, who: { login: string; password: string }): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  await signIn(page, who);
  return page;
}

async function openSystem(page: Page) {
  await page.goto(`/manager/operation/mbus/${systemId}`);
  await expect(page.getByRole('heading', { name: systemName, level: 1 })).toBeVisible();
}

test.beforeAll(async ({ browser }) => {
  bus = new SimBus({ meters: [heat, water], startEpochMs: Date.now() - 86_400_000 });
  sim = await startSimBusServer({ bus, baud: 9600, host: '127.0.0.1', port: 0 });
  // the system and its scan are set up through the API: the Manager's scan flow is tests/e2e/mbus.spec.ts
  const page = await signedIn(browser, E2E_ADMIN);
  const { system } = await api(page, 'POST', '/api/mbus/systems', {
    name: systemName,
    transport: 'tcp',
    address: `127.0.0.1:${sim.port}`,
    baud: 9600,
    addressing: 'primary',
    schedule: null
  });
  systemId = system.id;
  const { run: scan } = await api(page, 'POST', `/api/mbus/systems/${systemId}/scan`, { mode: 'primary', from: 1, to: 6 });
  await expect.poll(async () => (await api(page, 'GET', `/api/mbus/runs/${scan.id}`)).run.state, { timeout: 60_000 }).toBe('done');
  await page.context().close();
});

test.afterAll(async ({ browser }) => {
  if (systemId !== undefined) {
    const page = await signedIn(browser, E2E_ADMIN);
    await page.request.delete(`/api/mbus/systems/${systemId}`);
    await page.context().close();
  }
  await sim?.close();
});

test('@mbus a superuser granted "disconnect" uses the valve buttons; a user with only "See meters" gets no Scan', async ({ page, browser }) => {
  await signIn(page);
  await api(page, 'POST', '/api/users', { login: fitter.login, displayName: `Valve fitter ${run}`, role: 'superuser', password: fitter.password });
  await api(page, 'POST', '/api/users', { login: reader.login, displayName: `Reader ${run}`, role: 'user', password: reader.password });
  const matrix = (await api(page, 'GET', '/api/permissions')) as { roles: { user: string[]; superuser: string[] } };
  try {
    // the permission matrix, as an administrator changes it: superusers may open and close valves,
    // users may only see meters
    await api(page, 'PUT', '/api/permissions/superuser', { permissions: [...matrix.roles.superuser.filter((p) => p !== 'disconnect'), 'disconnect'] });
    await api(page, 'PUT', '/api/permissions/user', { permissions: ['meters.read'] });

    const superuser = await signedIn(browser, fitter);
    await openSystem(superuser);
    const valveRow = deviceRow(superuser, water);
    await expect(valveRow.getByTestId('valve-state')).toHaveText('Open');
    expect(bus.valve(water.id)).toBe('open');
    await valveRow.getByRole('button', { name: /^Close the valve of / }).click();
    const closing = superuser.getByRole('dialog', { name: new RegExp(`^Close the valve of meter \\w+ ${water.id}\\?$`) });
    await closing.getByRole('button', { name: 'Close valve' }).click();
    await expect(closing).toBeHidden();
    await expect(superuser.getByTestId('mbus-notice')).toHaveText(new RegExp(`^The valve of meter \\w+ ${water.id} is now closed\\.$`));
    await expect(valveRow.getByTestId('valve-state')).toHaveText('Closed');
    expect(bus.valve(water.id)).toBe('closed');
    await valveRow.getByRole('button', { name: /^Open the valve of / }).click();
    await superuser.getByRole('dialog').getByRole('button', { name: 'Open valve' }).click();
    await expect(valveRow.getByTestId('valve-state')).toHaveText('Open');
    expect(bus.valve(water.id)).toBe('open');
    // the superuser still may scan, and has no valve profiles to configure
    await expect(superuser.getByRole('button', { name: 'Start scan' })).toBeVisible();
    await superuser.goto('/manager/operation/mbus');
    await expect(superuser.locator(`[data-testid=mbus-system-row][data-name="${systemName}"]`)).toBeVisible();
    await expect(superuser.getByRole('link', { name: 'Valve profiles' })).toHaveCount(0);
    await superuser.context().close();

    // a user who may only see meters: the meters and their valve state, no button that would be refused
    const user = await signedIn(browser, reader);
    await user.goto('/manager/operation/mbus');
    const listed = user.locator(`[data-testid=mbus-system-row][data-name="${systemName}"]`);
    await expect(listed).toBeVisible();
    await expect(user.getByRole('button', { name: 'Add system…' })).toHaveCount(0);
    await expect(listed.getByRole('button')).toHaveCount(0);
    await listed.getByRole('link', { name: systemName }).click();
    await expect(user.getByRole('heading', { name: systemName, level: 1 })).toBeVisible();
    await expect(user.getByTestId('mbus-device-row')).toHaveCount(2);
    await expect(deviceRow(user, water).getByTestId('valve-state')).toHaveText('Open');
    await expect(user.getByRole('button', { name: 'Start scan' })).toHaveCount(0);
    await expect(user.getByRole('button', { name: 'Read all meters' })).toHaveCount(0);
    await expect(deviceRow(user, heat).getByRole('button', { name: /Attach/ })).toHaveCount(0);
    await expect(deviceRow(user, water).getByRole('button', { name: /valve of/ })).toHaveCount(0);
    // and the server refuses the scan anyway
    const refused = await user.request.post(`/api/mbus/systems/${systemId}/scan`, { data: { mode: 'primary', from: 1, to: 2 } });
    expect(refused.status()).toBe(403);
    await user.context().close();
  } finally {
    await api(page, 'PUT', '/api/permissions/superuser', { permissions: matrix.roles.superuser });
    await api(page, 'PUT', '/api/permissions/user', { permissions: matrix.roles.user });
  }
});

test('@mbus a valve profile: added with a bad field first, closes a simulated valve, kept while in use, then deleted', async ({ page }) => {
  await signIn(page);
  await page.goto('/manager/operation/mbus');
  await page.getByRole('link', { name: 'Valve profiles' }).click();
  await expect(page.getByRole('heading', { name: 'Valve profiles', level: 1 })).toBeVisible();
  const builtIn = page.locator('[data-testid=valve-profile-row][data-id="en13757-digital-output"]');
  await expect(builtIn).toContainText('Built in');
  await expect(builtIn).toContainText('Cannot be changed');
  await expect(builtIn).toContainText('CI 51 · 01 FD 1A 01');

  // the bytes of the EN 13757-3 digital output, which the simulated valve implements, entered as a
  // configured profile would be from a manufacturer's documentation; the open data has a typo first
  await page.getByRole('button', { name: 'Add profile…' }).click();
  const form = page.getByTestId('valve-profile-form');
  await expect(form).toContainText("comes from the manufacturer's documentation");
  await form.getByLabel('Name', { exact: true }).fill(profileName);
  await form.getByLabel('Open: data', { exact: true }).fill('01 FD 1A 0G');
  await form.getByLabel('Close: data', { exact: true }).fill('01 FD 1A 00');
  await form.getByLabel('State record: DIF/VIF', { exact: true }).fill('01 FD 1B');
  await form.getByLabel('Mask', { exact: true }).fill('01');
  await form.getByLabel('Open value', { exact: true }).fill('01');
  await form.getByRole('button', { name: 'Add profile' }).click();
  // the server's word (parseValveProfile), at the field
  const openData = form.getByLabel('Open: data', { exact: true });
  await expect(openData).toHaveAttribute('aria-invalid', 'true');
  await expect(form.locator('#vp-new-open-data-error')).toHaveText('expected hex bytes (pairs of 0-9/A-F)');
  await expect(form.getByLabel('Close: data', { exact: true })).not.toHaveAttribute('aria-invalid', 'true');
  await openData.fill('01 FD 1A 01');
  await form.getByRole('button', { name: 'Add profile' }).click();
  await expect(page.getByTestId('profile-notice')).toHaveText(`Valve profile "${profileName}" added. Choose it when you open or close a valve of that model.`);
  const profiles = (await api(page, 'GET', '/api/mbus/valve-profiles')).profiles as { id: string; name: string; open: { data: string } }[];
  const mine = profiles.find((p) => p.name === profileName)!;
  expect(mine).toMatchObject({ id: `bench-disconnect-${run}`, open: { ci: 0x51, data: '01FD1A01' } });
  const row = page.locator(`[data-testid=valve-profile-row][data-id="${mine.id}"]`);
  await expect(row).toContainText('CI 51 · 01 FD 1A 01');
  await expect(row).toContainText('open when value & 01 = 01');

  // close the simulated valve with it: the meter's valve is then known by this profile
  await openSystem(page);
  const valveRow = deviceRow(page, water);
  await expect(valveRow.getByTestId('valve-state')).toHaveText('Open');
  await valveRow.getByRole('button', { name: /^Close the valve of / }).click();
  const closing = page.getByRole('dialog', { name: new RegExp(`^Close the valve of meter \\w+ ${water.id}\\?$`) });
  await closing.getByLabel("Valve profile of this meter's model", { exact: true }).selectOption({ label: profileName });
  await closing.getByRole('button', { name: 'Close valve' }).click();
  await expect(closing).toBeHidden();
  await expect(valveRow.getByTestId('valve-state')).toHaveText('Closed');
  expect(bus.valve(water.id)).toBe('closed');
  const devices = (await api(page, 'GET', `/api/mbus/systems/${systemId}`)).devices as { serial: string; valve: { profileId: string } | null }[];
  expect(devices.find((d) => d.serial === water.id)!.valve).toMatchObject({ profileId: mine.id, state: 'closed' });

  // in use: the server refuses the deletion and says where; the dialog keeps it
  await page.goto('/manager/operation/mbus/valve-profiles');
  await row.getByRole('button', { name: `Delete ${profileName}` }).click();
  const deleting = page.getByRole('dialog', { name: `Delete valve profile "${profileName}"?` });
  await deleting.getByRole('button', { name: 'Delete profile' }).click();
  await expect(deleting.getByRole('alert')).toHaveText(`Valve profile "${profileName}" is used by 1 meter on "${systemName}": command their valves with another profile first, or delete those M-Bus systems.`);
  await deleting.getByRole('button', { name: 'Cancel' }).click();
  await expect(row).toBeVisible();

  // opened with the built-in profile, the valve no longer needs it: deleted
  await openSystem(page);
  await valveRow.getByRole('button', { name: /^Open the valve of / }).click();
  const opening = page.getByRole('dialog', { name: new RegExp(`^Open the valve of meter \\w+ ${water.id}\\?$`) });
  await expect(opening.getByLabel("Valve profile of this meter's model", { exact: true })).toHaveValue(mine.id);
  await opening.getByLabel("Valve profile of this meter's model", { exact: true }).selectOption('en13757-digital-output');
  await opening.getByRole('button', { name: 'Open valve' }).click();
  await expect(valveRow.getByTestId('valve-state')).toHaveText('Open');
  expect(bus.valve(water.id)).toBe('open');
  await page.goto('/manager/operation/mbus/valve-profiles');

  // changed: the form shows what is stored, the id stays
  const renamed = `${profileName} (module v2)`;
  await row.getByRole('button', { name: `Change ${profileName}` }).click();
  const change = page.getByTestId('valve-profile-form');
  await expect(change.getByRole('heading')).toHaveText(`Change "${profileName}"`);
  await expect(change.getByLabel('Open: CI', { exact: true })).toHaveValue('51');
  await expect(change.getByLabel('Open: data', { exact: true })).toHaveValue('01FD1A01');
  await expect(change.getByLabel('State record: DIF/VIF', { exact: true })).toHaveValue('01FD1B');
  await expect(change.getByLabel('Mask', { exact: true })).toHaveValue('01');
  await change.getByLabel('Name', { exact: true }).fill(renamed);
  await change.getByRole('button', { name: 'Save profile' }).click();
  await expect(page.getByTestId('profile-notice')).toHaveText(`Valve profile "${renamed}" saved.`);
  await expect(row.getByRole('rowheader')).toHaveText(renamed);

  await row.getByRole('button', { name: `Delete ${renamed}` }).click();
  const deletingRenamed = page.getByRole('dialog', { name: `Delete valve profile "${renamed}"?` });
  await deletingRenamed.getByRole('button', { name: 'Delete profile' }).click();
  await expect(deletingRenamed).toBeHidden();
  await expect(page.getByTestId('profile-notice')).toHaveText(`Valve profile "${renamed}" deleted.`);
  await expect(row).toHaveCount(0);
  await expect(builtIn).toBeVisible();
});
