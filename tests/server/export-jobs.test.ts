// Scheduled export jobs (M13) over the API, with real croner timers, a real data folder and a
// real SMTP server: a job runs on its schedule and writes the exact bytes (never overwriting), an
// e-mail job delivers the file, a mail server that is down or refuses gives a failed run with
// the reason, and bad patterns, folders and recipients get 422 naming the field.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Actor } from '../../server/src/auth/principal';
import { ExportJobSchedule } from '../../server/src/jobs/export-jobs';
import { startSmtp, type TestSmtp } from '../support/smtp';
import { makeTestServer, request, useTempDir, type TestServer } from './helpers';

const tempDir = useTempDir('readout-export-jobs-');
let s: TestServer;
let dir: string;
let smtp: TestSmtp;
let admin: string;
let formatId: number;
let groupId: number;

// the test server's clock: 2026-09-21 14:13:20 UTC, 16:13:20 in Copenhagen (CEST, UTC+2)
const NOW = 1_790_000_000_000;
const FORMAT = {
  kind: 'delimited',
  separator: ';',
  decimalMark: ',',
  dateFormat: 'DD.MM.YYYY HH:mm',
  columns: [
    { field: 'meter.serial', header: 'Serial' },
    { field: 'customer.name', header: 'Name' },
    { field: 'reading.volume', header: 'm3' },
    { field: 'reading.at', header: 'Read' }
  ]
};
// written by hand: 12.345 m3 read 2026-09-20 10:00 UTC = 12:00 in Copenhagen; the second meter has no reading
const FILE = 'Serial;Name;m3;Read\r\n11112222;Ida Holm;12,345;20.09.2026 12:00\r\n33334444;;;\r\n';
const FILE_NAME = 'readout-billing-2026-09-21.csv';

async function json(res: Response): Promise<any> {
  return res.json();
}

beforeAll(async () => {
  smtp = await startSmtp();
  dir = tempDir();
  s = await makeTestServer(dir, { SMTP_URL: smtp.url, MAIL_FROM: 'Readout <readout@utility.example>' });
  expect(s.clock.now).toBe(NOW);
  admin = await s.as('administrator');
  const tenantId = (s.db.prepare("select id from tenant where name = 'Demo Utility'").get() as { id: number }).id;
  const actor: Actor = { tenantId, userId: null, name: 'test setup', device: null };
  const { customers, meteringPoints, meters, readings } = s.stores;
  const ida = customers.create(actor, { number: 'C-1', name: 'Ida Holm' }, NOW);
  const p = meteringPoints.create(actor, { number: 'MP-1', address: 'Havnegade 1', customerId: ida.id }, NOW);
  const a = meters.create(actor, { manufacturer: 'KAM', serial: '11112222', medium: 'water' }, NOW);
  const b = meters.create(actor, { manufacturer: 'KAM', serial: '33334444', medium: 'water' }, NOW);
  meters.install(actor, a.id, p.id, Date.UTC(2026, 0, 1), NOW);
  readings.put(a.id, Date.UTC(2026, 8, 20, 10, 0), { energy: null, volume: 12_345_000, flow: null, power: null, tFlow: null, tReturn: null, info: null, extra: null });
  formatId = (await json(await request(s, 'POST', '/api/exports/formats', { cookie: admin, body: { name: 'Billing', format: FORMAT } }))).format.id;
  const g = await json(await request(s, 'POST', '/api/groups', { cookie: admin, body: { name: 'Harbour' } }));
  groupId = g.group.id;
  await request(s, 'POST', `/api/groups/${groupId}/members`, { cookie: admin, body: { meterIds: [a.id, b.id] } });
});
afterAll(async () => {
  s.close();
  await smtp.close();
});

const job = (over: Record<string, unknown> = {}) => ({ name: 'Nightly', formatId, groupId: null, cron: '0 2 * * *', cutoff: 'run', target: 'folder', folder: 'billing', ...over });

async function until<T>(what: string, f: () => T | undefined | false, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('on its croner schedule', () => {
  test('a folder job runs every second, writes the exact bytes and never overwrites; disabled, it stops', async () => {
    const schedule = new ExportJobSchedule({ db: s.db, stores: s.stores, env: s.env, now: () => s.clock.now }).start();
    try {
      // the schedule is running before the job exists: creating it reschedules
      const created = await request(s, 'POST', '/api/exports/jobs', { cookie: admin, body: job({ name: 'Every second', cron: '* * * * * *', folder: 'billing/heat' }) });
      expect(created.status).toBe(201);
      const { job: saved } = await json(created);
      expect(saved).toMatchObject({ formatName: 'Billing', groupId: null, enabled: true, lastRun: null, nextRunAt: NOW + 1000 - (NOW % 1000) });
      const folder = join(dir, 'exports', 'billing', 'heat');
      const files = await until('two files', () => {
        try {
          const f = readdirSync(folder).filter((n) => !n.startsWith('.')).sort();
          return f.length >= 2 && f;
        } catch {
          return false;
        }
      });
      await request(s, 'PATCH', `/api/exports/jobs/${saved.id}`, { cookie: admin, body: { enabled: false } });
      expect(files).toEqual(expect.arrayContaining([FILE_NAME, 'readout-billing-2026-09-21-2.csv']));
      for (const f of files) expect(readFileSync(join(folder, f)).toString('hex')).toBe(Buffer.from(FILE, 'utf8').toString('hex'));

      const { runs } = await json(await request(s, 'GET', `/api/exports/jobs/${saved.id}/runs`, { cookie: admin }));
      expect(runs.length).toBeGreaterThanOrEqual(2);
      expect(runs.at(-1)).toMatchObject({
        status: 'ok',
        message: `2 rows to exports/billing/heat/${FILE_NAME}`,
        result: { rows: 2, estimated: 0, bytes: FILE.length, fileName: FILE_NAME, at: NOW, target: 'folder' }
      });
      const count = readdirSync(folder).length;
      await new Promise((r) => setTimeout(r, 1500));
      expect(readdirSync(folder).length).toBe(count); // disabled: no more runs
      const audit = s.db.prepare("select actor, details from audit_entry where event = 'export.job-run' order by id").all() as { actor: string; details: string }[];
      expect(audit.length).toBe(runs.length);
      expect(audit[0].actor).toBe('export job "Every second"');
      expect(JSON.parse(audit[0].details)).toMatchObject({ trigger: 'schedule', rows: 2, fileName: FILE_NAME, to: `exports/billing/heat/${FILE_NAME}` });
    } finally {
      schedule.stop();
    }
  });
});

describe('by e-mail and run now', () => {
  test('an e-mail job delivers the file as an attachment, and the history says ok', async () => {
    const { job: saved } = await json(
      await request(s, 'POST', '/api/exports/jobs', { cookie: admin, body: job({ name: 'Mail', groupId, cutoff: 'midnight', target: 'email', folder: null, recipients: ['billing@utility.example'] }) })
    );
    const res = await request(s, 'POST', `/api/exports/jobs/${saved.id}/run`, { cookie: admin });
    expect(res.status).toBe(200);
    const { run } = await json(res);
    // cut-off: the last midnight in Copenhagen, 2026-09-21 00:00 CEST = 2026-09-20 22:00 UTC; the reading at 10:00 UTC is before it
    expect(run).toMatchObject({ status: 'ok', message: '2 rows to billing@utility.example', result: { at: Date.UTC(2026, 8, 20, 22, 0), rows: 2 } });
    const mail = await smtp.waitFor(1);
    expect(mail.to).toMatchObject({ text: 'billing@utility.example' });
    // named after the cut-off's date on the utility's calendar: 21 September 00:00
    expect(mail.subject).toBe(`Readout export "Mail": ${FILE_NAME}`);
    expect(mail.attachments.length).toBe(1);
    expect(mail.attachments[0].filename).toBe(FILE_NAME);
    expect(mail.attachments[0].content.toString('hex')).toBe(Buffer.from(FILE, 'utf8').toString('hex'));
    const list = await json(await request(s, 'GET', '/api/exports/jobs', { cookie: admin }));
    expect(list.jobs.find((j: any) => j.id === saved.id)).toMatchObject({ groupName: 'Harbour', lastRun: { status: 'ok' } });
  });

  test('a mail server that is down or refuses gives a failed run with the reason', async () => {
    const down = await startSmtp();
    await down.close();
    const refusing = await startSmtp({ reject: true });
    try {
      for (const [server, reason] of [
        [down, `Could not reach the mail server 127.0.0.1:${down.port}`],
        [refusing, `The mail server 127.0.0.1:${refusing.port} did not accept the message`]
      ] as const) {
        const other = await makeTestServer(tempDir(), { SMTP_URL: server.url });
        try {
          const cookie = await other.as('administrator');
          const f = await json(await request(other, 'POST', '/api/exports/formats', { cookie, body: { name: 'F', format: FORMAT } }));
          const { job: j } = await json(
            await request(other, 'POST', '/api/exports/jobs', { cookie, body: job({ formatId: f.format.id, target: 'email', folder: null, recipients: ['a@b.example'] }) })
          );
          const { run } = await json(await request(other, 'POST', `/api/exports/jobs/${j.id}/run`, { cookie }));
          expect(run.status).toBe('failed');
          expect(run.message).toContain(reason);
          const { jobs } = await json(await request(other, 'GET', '/api/exports/jobs', { cookie }));
          expect(jobs[0].lastRun).toMatchObject({ status: 'failed', message: run.message });
          expect(other.db.prepare("select count(*) from audit_entry where event = 'export.job-run'").pluck().get()).toBe(0);
        } finally {
          other.close();
        }
      }
    } finally {
      await refusing.close();
    }
  });

  test('a deleted group fails the run naming it, never exporting every meter', async () => {
    const g = await json(await request(s, 'POST', '/api/groups', { cookie: admin, body: { name: 'Gone' } }));
    const { job: j } = await json(await request(s, 'POST', '/api/exports/jobs', { cookie: admin, body: job({ name: 'Gone group', groupId: g.group.id, folder: 'gone' }) }));
    await request(s, 'DELETE', `/api/groups/${g.group.id}`, { cookie: admin });
    const { run } = await json(await request(s, 'POST', `/api/exports/jobs/${j.id}/run`, { cookie: admin }));
    expect(run).toMatchObject({ status: 'failed', message: `Group ${g.group.id} not found.` });
  });
});

describe('validation and permissions', () => {
  test('bad patterns, folders and recipients get 422 naming the field', async () => {
    const cases: [Record<string, unknown>, string, string][] = [
      [{ cron: 'every day' }, 'cron', 'expected 5 fields (minute hour day month weekday) or 6 (seconds first), got 2'],
      [{ cron: '61 * * * *' }, 'cron', 'not a valid cron pattern'],
      [{ folder: '/etc/cron.d' }, 'folder', 'an absolute path is not allowed'],
      [{ folder: 'billing/../../etc' }, 'folder', '".." is not allowed'],
      [{ folder: '.hidden' }, 'folder', 'must not start with a dot'],
      [{ folder: null }, 'folder', 'a folder job needs a folder'],
      [{ target: 'email', folder: null }, 'recipients', 'an e-mail job needs at least one recipient'],
      [{ target: 'email', recipients: ['not-an-address'] }, 'recipients.0', 'expected an e-mail address'],
      [{ cutoff: 'noon' }, 'cutoff', 'expected run (the time of the run) or midnight (the last midnight)'],
      [{ formatId: 9999 }, 'formatId', 'no saved export format 9999'],
      [{ groupId: 9999 }, 'groupId', 'no group 9999']
    ];
    for (const [over, field, message] of cases) {
      const res = await request(s, 'POST', '/api/exports/jobs', { cookie: admin, body: job({ name: `Bad ${field}`, ...over }) });
      expect(res.status, JSON.stringify(over)).toBe(422);
      const body = await json(res);
      expect(body.fields[0].field, JSON.stringify(over)).toBe(field);
      expect(body.fields[0].message, JSON.stringify(over)).toContain(message);
    }
    expect(s.db.prepare("select count(*) from export_job where name like 'Bad %'").pluck().get()).toBe(0);
    const { job: j } = await json(await request(s, 'POST', '/api/exports/jobs', { cookie: admin, body: job({ name: 'Patched' }) }));
    const patch = await request(s, 'PATCH', `/api/exports/jobs/${j.id}`, { cookie: admin, body: { cron: '* * *' } });
    expect(patch.status).toBe(422);
    expect((await json(await request(s, 'GET', `/api/exports/jobs/${j.id}`, { cookie: admin }))).job.cron).toBe('0 2 * * *');
    const dup = await request(s, 'POST', '/api/exports/jobs', { cookie: admin, body: job({ name: 'Patched' }) });
    expect(dup.status).toBe(409);
  });

  test('a format in use is not deleted; a user may run jobs but not change them; delete removes the history', async () => {
    const inUse = await request(s, 'DELETE', `/api/exports/formats/${formatId}`, { cookie: admin });
    expect(inUse.status).toBe(409);
    expect((await json(inUse)).error).toContain('Export format "Billing" is used by the export jobs');
    const user = await s.as('user');
    const { job: j } = await json(await request(s, 'POST', '/api/exports/jobs', { cookie: admin, body: job({ name: 'For users', folder: 'users' }) }));
    expect((await request(s, 'POST', '/api/exports/jobs', { cookie: user, body: job({ name: 'Mine' }) })).status).toBe(403);
    expect((await request(s, 'PATCH', `/api/exports/jobs/${j.id}`, { cookie: user, body: { enabled: false } })).status).toBe(403);
    expect((await json(await request(s, 'POST', `/api/exports/jobs/${j.id}/run`, { cookie: user }))).run.status).toBe('ok');
    expect((await request(s, 'DELETE', `/api/exports/jobs/${j.id}`, { cookie: admin })).status).toBe(200);
    expect(s.db.prepare('select count(*) from job_run where kind = ?').pluck().get(`export:${j.id}`)).toBe(0);
    expect((await request(s, 'GET', `/api/exports/jobs/${j.id}/runs`, { cookie: admin })).status).toBe(404);
    const events = s.db.prepare("select event from audit_entry where event like 'export-job.%' and details like '%For users%' order by id").pluck().all();
    expect(events).toEqual(['export-job.created', 'export-job.deleted']);
  });
});
