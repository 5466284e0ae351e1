import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toHex } from '../../shared/bytes/hex';
import { aesKey } from '../../shared/crypto/aes';
import { encodeRecords } from '../../shared/mbus/encode-records';
import { encodeTelegram } from '../../shared/wmbus/encode';
import { deliveriesOf, type Delivery } from '../../server/src/notify/deliveries';
import type { TestServer } from './helpers';
import { apiClient } from './registry-client';

// Shared by the notification tests (M9): MULTICAL 21 telegrams with an info code, made by the
// project's encoder as bench/lib/manager-graph.mjs waterTelegram makes them (protocols.md §2.2,
// §4.5.2: 02 FF 20 info code; bit 0 dry, bit 2 leak, bit 3 burst), a local HTTP server standing
// in for the SMS gateway, and a wait until the delivery log has settled.

export const WATER_KEY = '4F4F4F4F4F4F4F4FA1A1A1A1A1A1A1A1';
export const INFO = { dry: 0b0001, leak: 0b0100, burst: 0b1000 } as const;

/** One MULTICAL 21 C1 telegram behind an ELL with AES-CTR: volume in litres and the info code. */
export function waterTelegram(serial: string, volumeL: number, info: number, counter: number): string {
  const payload = encodeRecords([
    { type: 'int32', quantity: 'volume l', value: Math.round(volumeL) },
    { type: 'int16', vif: [0xff, 0x20], value: info }
  ]);
  const sn = ((1 << 29) | ((counter & 0x1ffffff) << 4) | (counter & 0xf)) >>> 0;
  return toHex(
    encodeTelegram({
      address: { manufacturer: 'KAM', id: serial, version: 0x1b, deviceType: 0x16 },
      ell: { ci: 0x8d, cc: 0x20, acc: counter & 0xff, sn, key: aesKey(Buffer.from(WATER_KEY, 'hex')) },
      tpl: { header: 'none', payload }
    })
  ).toUpperCase();
}

/** A MULTICAL 21 with its key, installed at an address; returns the meter id. */
export async function addWaterMeter(server: TestServer, cookie: string, serial: string, address: string, from: number): Promise<number> {
  const call = apiClient(server);
  const meter = await call(cookie, 'POST', '/api/meters', {
    manufacturer: 'KAM', serial, version: 0x1b, deviceType: 0x16, medium: 'water', model: 'MULTICAL 21', driver: 'kamstrup-multical21'
  });
  if (meter.status !== 201) throw new Error(`meter ${serial}: ${meter.status} ${meter.text}`);
  const id = meter.json.meter.id as number;
  await call(cookie, 'PUT', `/api/meters/${id}/key`, { key: WATER_KEY });
  const point = await call(cookie, 'POST', '/api/metering-points', { address, postalCode: '8000' });
  const installed = await call(cookie, 'POST', `/api/meters/${id}/install`, { meteringPointId: point.json.meteringPoint.id, from });
  if (installed.status !== 200) throw new Error(`install ${serial}: ${installed.status} ${installed.text}`);
  return id;
}

let counter = 1;

/** Ingests one telegram per meter through POST /api/ingest/frames (one batch); every frame must decode. */
export async function ingest(server: TestServer, cookie: string, at: number, frames: { serial: string; info: number; volumeL?: number }[]): Promise<void> {
  const body = { frames: frames.map((f) => ({ hex: waterTelegram(f.serial, f.volumeL ?? 1000, f.info, counter++), receivedAt: at, source: 'Test gateway' })) };
  const res = await apiClient(server)(cookie, 'POST', '/api/ingest/frames', body);
  if (res.status !== 200 || res.json.counts.decoded !== frames.length) throw new Error(`ingest: ${res.status} ${res.text}`);
}

export interface Gateway {
  url: string;
  received: { body: { to: string; text: string }; headers: IncomingHttpHeaders; at: number }[];
  close(): Promise<void>;
}

/** A local SMS gateway answering every POST with `status`. */
export async function startGateway(status: number): Promise<Gateway> {
  const received: Gateway['received'] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString('utf8')));
    req.on('end', () => {
      received.push({ body: JSON.parse(text), headers: req.headers, at: Date.now() });
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status < 300 ? 'queued' : 'upstream operator unavailable');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}/sms`, received, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** A URL where nothing listens: a port that was just free (connection refused). */
export async function closedUrl(): Promise<string> {
  const g = await startGateway(200);
  await g.close();
  return g.url;
}

/** The tenant's log once nothing is queued or retrying any more (newest first). */
export async function settled(server: TestServer, tenantId = 1, timeoutMs = 10_000): Promise<Delivery[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const items = deliveriesOf(server.db).list(tenantId, { limit: 500, offset: 0 }).items;
    if (items.every((d) => d.status === 'sent' || d.status === 'failed')) return items;
    if (Date.now() > deadline) throw new Error(`deliveries still pending: ${JSON.stringify(items.map((d) => [d.id, d.status, d.reason]))}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
