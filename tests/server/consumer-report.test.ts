// The consumer report by e-mail (M2) through a real SMTP server, and the info codes per bucket the
// Manager's graph marks. A heat meter exchanged on 2 Nov (Europe/Copenhagen, UTC+1 in November);
// the expected numbers are worked out by hand beside each assertion.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ReadingColumns } from '../../server/src/ingest/columns';
import { startSmtp, type TestSmtp } from '../support/smtp';
import { makeTestServer, request, useTempDir, type TestServer } from './helpers';

const tempDir = useTempDir();
let smtp: TestSmtp;
let server: TestServer;
let admin: string;
let point: number;
let meterA: number;
let meterB: number;
const utc = (s: string) => Date.parse(s);
const kWh = (v: number) => Math.round(v * 3.6e6);
const row = (c: Partial<ReadingColumns>): ReadingColumns => ({
  energy: null, volume: null, flow: null, power: null, tFlow: null, tReturn: null, info: null, extra: null, ...c
});
// local days of 1-3 Nov 2026 start at 23:00Z the evening before
const FROM = '2026-10-31T23:00:00Z';
const TO = '2026-11-03T23:00:00Z';

beforeAll(async () => {
  smtp = await startSmtp();
  server = await makeTestServer(tempDir(), { SMTP_URL: smtp.url, MAIL_FROM: 'Readout <readout@utility.example>' });
  admin = await server.as('administrator');
  const post = async (path: string, body: unknown) => (await (await request(server, 'POST', path, { cookie: admin, body })).json()) as any;
  const customer = (await post('/api/customers', { name: 'Jens Hansen, Jr.', number: 'C-77', email: 'jens@example.com' })).customer;
  point = (await post('/api/metering-points', { address: 'Vestergade 1', postalCode: '8000', city: 'Aarhus', number: 'MP-9', customerId: customer.id })).meteringPoint.id;
  meterA = (await post('/api/meters', { manufacturer: 'KAM', serial: '11111111', medium: 'heat' })).meter.id;
  meterB = (await post('/api/meters', { manufacturer: 'KAM', serial: '22222222', medium: 'heat' })).meter.id;
  await post(`/api/meters/${meterA}/install`, { meteringPointId: point, from: utc('2026-10-01T00:00:00Z') });
  const ex = await post(`/api/metering-points/${point}/exchange`, { oldMeterId: meterA, newMeterId: meterB, at: utc('2026-11-02T12:00:00Z') });
  expect(ex.meteringPoint.installations).toHaveLength(2);
  const put = (m: number, t: string, c: Partial<ReadingColumns>) => server.stores.readings.put(m, utc(t), row(c));
  put(meterA, '2026-10-31T22:00:00Z', { energy: kWh(1000) }); //            before the range: opens day 1
  put(meterA, '2026-11-01T20:00:00Z', { energy: kWh(1010.5), info: 2 }); // day 1: 10.5, low battery (bit 1)
  put(meterA, '2026-11-02T12:00:00Z', { energy: kWh(1014) }); //            day 2: 3.5 up to the exchange
  put(meterB, '2026-11-02T12:00:00Z', { energy: kWh(0) });
  put(meterB, '2026-11-02T20:00:00Z', { energy: kWh(2.25) }); //            day 2: + 2.25 → 5.75
  put(meterB, '2026-11-03T20:00:00Z', { energy: kWh(8.25), info: 4 }); //   day 3: 6, external alarm (bit 2)
});
afterAll(async () => {
  server.close();
  await smtp.close();
});

const email = (body: unknown, cookie = admin, id = point) => request(server, 'POST', `/api/metering-points/${id}/report/email`, { cookie, body });

describe('GET /api/metering-points/:id/consumption', () => {
  test('lists the info codes read in each bucket, per meter, and leaves them out elsewhere', async () => {
    const res = await server.app.request(`/api/metering-points/${point}/consumption?from=${FROM}&to=${TO}&resolution=day`, { headers: { cookie: admin } });
    const body = (await res.json()) as any;
    expect(body.buckets.map((b: any) => b.value)).toEqual([10.5, 5.75, 6]);
    expect(body.buckets.map((b: any) => b.exchange)).toEqual([false, true, false]);
    expect(body.buckets[0].info).toEqual([{ meterId: meterA, code: 2 }]);
    expect(body.buckets[1]).not.toHaveProperty('info');
    expect(body.buckets[2].info).toEqual([{ meterId: meterB, code: 4 }]);
  });
});

describe('POST /api/metering-points/:id/report/email', () => {
  test('sends the table, an inline chart and a CSV of the same rows, and audits it', async () => {
    const res = await email({ recipients: ['jens@example.com', 'office@utility.example'], from: FROM, to: TO, resolution: 'day' });
    expect(res.status).toBe(200);
    const sent = (await res.json()) as any;
    expect(sent.accepted).toEqual(['jens@example.com', 'office@utility.example']);
    const mail = await smtp.waitFor(1);
    expect(mail.subject).toBe('Consumption report: Vestergade 1, 2026-11-01 to 2026-11-03');
    expect(mail.from?.text).toContain('readout@utility.example');
    expect(mail.text).toContain('Consumer: Jens Hansen, Jr. (customer C-77)');
    expect(mail.text).toContain('Total energy: 22.25 kWh'); // 10.5 + 5.75 + 6
    expect(mail.html).toContain('<svg');
    expect(mail.html).toContain('<td style="padding:2px 12px 2px 0">2026-11-02</td><td style="text-align:right;padding:2px 12px">5.75</td><td>meter exchange</td>');
    expect(mail.html).toContain('KAM 22222222 from 2026-11-02; KAM 11111111 from 2026-10-01 to 2026-11-02');
    expect(mail.attachments).toHaveLength(1);
    const csv = mail.attachments[0];
    expect(csv.filename).toBe('consumption-MP-9-2026-11-01-day.csv');
    expect(csv.contentType).toBe('text/csv');
    expect(csv.content.toString('utf8')).toBe(
      'period,consumption_kWh,notes\r\n2026-11-01,10.50,info codes\r\n2026-11-02,5.75,meter exchange\r\n2026-11-03,6.00,info codes\r\n'
    );
    const entry = server.db.prepare("select details from audit_entry where event = 'report.emailed'").get() as { details: string };
    expect(JSON.parse(entry.details)).toMatchObject({
      meteringPointId: point,
      recipients: ['jens@example.com', 'office@utility.example'],
      from: utc(FROM),
      to: utc(TO),
      resolution: 'day',
      register: 'energy'
    });
  });

  test('bad input is a 422 naming the field, an unknown point a 404', async () => {
    for (const [body, field] of [
      [{ recipients: [], from: FROM, resolution: 'day' }, 'recipients'],
      [{ recipients: ['not an address'], from: FROM, resolution: 'day' }, 'recipients.0'],
      [{ recipients: ['a@example.com'], from: 'yesterday', resolution: 'day' }, 'from'],
      [{ recipients: ['a@example.com'], from: FROM, resolution: 'week' }, 'resolution'],
      [{ recipients: ['a@example.com'], from: TO, to: FROM, resolution: 'day' }, 'to']
    ] as const) {
      const res = await email(body);
      expect(res.status, field).toBe(422);
      expect(((await res.json()) as any).error, field).toContain(field);
    }
    expect((await email({ recipients: ['a@example.com'], from: FROM, to: TO, resolution: 'day' }, admin, 999_999)).status).toBe(404);
  });

  test('a user without the export permission may not send it', async () => {
    const put = await request(server, 'PUT', '/api/permissions/user', { cookie: admin, body: { permissions: ['meters.read', 'readings.read'] } });
    expect(put.status).toBe(200);
    const res = await email({ recipients: ['a@example.com'], from: FROM, to: TO, resolution: 'day' }, await server.as('user'));
    expect(res.status).toBe(403);
  });
});

describe('mail failures', () => {
  test('409 when mail is not set up, 502 when the server refuses the recipient; nothing is audited', async () => {
    const bare = await makeTestServer(tempDir());
    const cookie = await bare.as('administrator');
    const p = (await (await request(bare, 'POST', '/api/metering-points', { cookie, body: { address: 'Nørregade 2' } })).json()) as any;
    const r1 = await request(bare, 'POST', `/api/metering-points/${p.meteringPoint.id}/report/email`, {
      cookie,
      body: { recipients: ['a@example.com'], from: FROM, to: TO, resolution: 'day' }
    });
    expect(r1.status).toBe(409);
    expect(await r1.json()).toMatchObject({ reason: 'not-configured', error: expect.stringContaining('SMTP_URL') });
    bare.close();

    const refusing = await startSmtp({ reject: true });
    const other = await makeTestServer(tempDir(), { SMTP_URL: refusing.url });
    const c2 = await other.as('administrator');
    const q = (await (await request(other, 'POST', '/api/metering-points', { cookie: c2, body: { address: 'Nørregade 3' } })).json()) as any;
    const r2 = await request(other, 'POST', `/api/metering-points/${q.meteringPoint.id}/report/email`, {
      cookie: c2,
      body: { recipients: ['gone@example.com'], from: FROM, to: TO, resolution: 'day' }
    });
    expect(r2.status).toBe(502);
    expect(await r2.json()).toMatchObject({ reason: 'rejected', error: expect.stringContaining('gone@example.com') });
    expect(other.db.prepare("select count(*) from audit_entry where event = 'report.emailed'").pluck().get()).toBe(0);
    other.close();
    await refusing.close();
  });
});
