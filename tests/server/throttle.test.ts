// Sign-in throttling: 5 failures per login or 20 per client address within 15 minutes, then 429
// with Retry-After and no password check, until the failures leave the window.
import { beforeEach, describe, expect, test } from 'vitest';
import { THROTTLE } from '../../server/src/auth/throttle';
import { ADMIN_PASSWORD, makeTestServer, useTempDir, type TestServer } from './helpers';

const tempDir = useTempDir();
let server: TestServer;

beforeEach(async () => {
  server = await makeTestServer(tempDir(), { TRUST_PROXY: '1' });
  return () => server.close();
});

const login = (login: string, password: string, from?: string) =>
  server.app.request('/api/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': 'vitest', ...(from ? { 'x-forwarded-for': from } : {}) },
    body: JSON.stringify({ login, password })
  });

const events = () =>
  (server.db.prepare('select event, details from audit_entry order by id').all() as { event: string; details: string | null }[]).map((e) => ({
    event: e.event,
    details: e.details ? JSON.parse(e.details) : null
  }));

async function fail(times: number, who = 'admin', from = '10.0.0.1') {
  for (let i = 0; i < times; i++) {
    expect((await login(who, 'wrong password!', from)).status).toBe(401);
    server.clock.now += 1000;
  }
}

describe('per login', () => {
  test('after 5 failures the right password is refused with 429 and Retry-After, then accepted after the window', async () => {
    const start = server.clock.now;
    await fail(THROTTLE.perLogin);
    const locked = await login('admin', ADMIN_PASSWORD, '10.0.0.1');
    expect(locked.status).toBe(429);
    const body = await locked.json();
    expect(body.error).toMatch(/Too many failed sign-ins for this user name\. Try again in 15 minutes\./);
    // the oldest failure (at `start`) leaves the window 15 minutes after it happened
    const retry = Number(locked.headers.get('retry-after'));
    expect(retry).toBe((start + THROTTLE.windowMs - server.clock.now) / 1000);
    expect(body.retryAfterS).toBe(retry);
    expect(locked.headers.get('set-cookie')).toBeNull();

    // the failure that reached the limit says so in the audit; the refused attempt adds nothing
    const failures = events().filter((e) => e.event === 'auth.sign-in-failed');
    expect(failures).toHaveLength(5);
    expect(failures.at(-1)!.details).toEqual({ reason: 'wrong password', lockedOut: 'login' });
    expect(failures.slice(0, 4).every((f) => f.details.lockedOut === undefined)).toBe(true);

    server.clock.now += retry * 1000 - 1;
    expect((await login('admin', ADMIN_PASSWORD, '10.0.0.1')).status).toBe(429);
    server.clock.now += 1;
    expect((await login('admin', ADMIN_PASSWORD, '10.0.0.1')).status).toBe(200);
  });

  test('a success clears the login\'s counter', async () => {
    await fail(4);
    expect((await login('admin', ADMIN_PASSWORD)).status).toBe(200);
    await fail(4);
    expect((await login('admin', ADMIN_PASSWORD)).status).toBe(200);
  });

  test('the login is counted without regard to case, and from any address', async () => {
    await fail(2, 'ADMIN', '10.0.0.1');
    await fail(3, 'Admin', '10.0.0.2');
    expect((await login('admin', ADMIN_PASSWORD, '10.0.0.3')).status).toBe(429);
  });

  test('an unknown login is throttled the same way (no hint that it does not exist)', async () => {
    await fail(5, 'nobody');
    const res = await login('nobody', 'anything at all', '10.0.0.1');
    expect(res.status).toBe(429);
    expect((await res.json()).error).toMatch(/for this user name/);
  });

  test('parallel guesses cannot slip past the count', async () => {
    const results = await Promise.all(Array.from({ length: 12 }, () => login('admin', 'wrong password!', '10.0.0.1')));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(7);
  });
});

describe('per client address', () => {
  test('20 failures from one address block that address for every login, not others', async () => {
    for (let i = 0; i < THROTTLE.perAddress; i++) expect((await login(`guess${i % 5}x${i}`, 'wrong password!', '192.0.2.7')).status).toBe(401);
    const blocked = await login('admin', ADMIN_PASSWORD, '192.0.2.7');
    expect(blocked.status).toBe(429);
    expect((await blocked.json()).error).toMatch(/from this address/);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await login('admin', ADMIN_PASSWORD, '192.0.2.8')).status).toBe(200);
    server.clock.now += THROTTLE.windowMs;
    expect((await login('admin', ADMIN_PASSWORD, '192.0.2.7')).status).toBe(200);
  });

  test('behind a proxy the last X-Forwarded-For entry counts, so a client cannot pick its own address', async () => {
    for (let i = 0; i < THROTTLE.perAddress; i++) {
      expect((await login(`guess${i}`, 'wrong password!', `203.0.113.${i}, 192.0.2.50`)).status).toBe(401);
    }
    expect((await login('admin', ADMIN_PASSWORD, '198.51.100.1, 192.0.2.50')).status).toBe(429);
  });

  test('without TRUST_PROXY the header is ignored (no socket in these tests: one "unknown" address)', async () => {
    const plain = await makeTestServer(tempDir());
    try {
      const res = (from: string, who: string) =>
        plain.app.request('/api/auth/login', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-for': from },
          body: JSON.stringify({ login: who, password: 'wrong password!' })
        });
      for (let i = 0; i < THROTTLE.perAddress; i++) expect((await res(`203.0.113.${i}`, `guess${i}`)).status).toBe(401);
      expect((await res('198.51.100.1', 'someone')).status).toBe(429);
      const rows = plain.db.prepare("select distinct subject from login_failure where subject like 'ip:%'").all();
      expect(rows).toEqual([{ subject: 'ip:unknown' }]);
    } finally {
      plain.close();
    }
  });
});

describe('changing one\'s password', () => {
  test('wrong current passwords count towards the same limit', async () => {
    const cookie = await server.signIn('admin');
    const change = (currentPassword: string) =>
      server.app.request('/api/users/me/password', {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie },
        body: JSON.stringify({ currentPassword, newPassword: 'a brand new password' })
      });
    for (let i = 0; i < THROTTLE.perLogin; i++) expect((await change('not my password')).status).toBe(422);
    const res = await change(ADMIN_PASSWORD);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBeTruthy();
  });
});
