// Another M-Bus master scans and reads our simulated segment over TCP: libmbus (rscada/libmbus,
// through the node-mbus binding, a dev dependency built by npm ci). If our simulated bus spoke
// anything but EN 13757-2/-3 as other tools understand it, libmbus would not find or decode it.
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimBus } from '../../shared/mbus/sim/bus.js';
import { simSegment } from '../../shared/mbus/sim/segment.js';
import type { SimMbusMeter } from '../../shared/mbus/sim/models.js';
import { startSimBusServer, type SimBusServer } from '../../server/src/mbus/sim-server.js';

interface LibmbusData {
  SlaveInformation: { Id: number; Manufacturer: string; Version: number; Medium: string; AccessNumber: number };
  DataRecord: { Unit: string; Value: number | string; StorageNumber: number; Function: string }[];
}
interface LibmbusMaster {
  connect(): boolean;
  close(cb: (err: Error | null) => void): void;
  getData(address: number | string, cb: (err: Error | null, data: LibmbusData) => void): void;
  scanSecondary(cb: (err: Error | null, data: string[]) => void): void;
}
const MbusMaster = createRequire(import.meta.url)('node-mbus') as new (o: object) => LibmbusMaster;

const get = (m: LibmbusMaster, address: number | string): Promise<LibmbusData> =>
  new Promise((resolve, reject) => m.getData(address, (err, data) => (err ? reject(err) : resolve(data))));

/** libmbus's secondary address text: 8 id digits, manufacturer code, version and medium in hex. */
function libmbusSecondary(m: SimMbusMeter, bus: SimBus): string {
  return bus.secondaries[bus.meters.findIndex((x) => x.id === m.id)].toUpperCase();
}

describe('libmbus against the simulated bus over TCP', () => {
  const meters = simSegment(6, { seed: 11, collide: true, valveEvery: 0 });
  const bus = new SimBus({ meters, startEpochMs: Date.UTC(2026, 10, 1) });
  let server: SimBusServer;
  let master: LibmbusMaster;

  beforeAll(async () => {
    // 2400 baud, 20 times faster than a real line so libmbus's scan is quick; libmbus's TCP
    // answer timeout (ms) stays well above the scaled line time of the longest answer.
    server = await startSimBusServer({ bus, baud: 2400, timeScale: 20 });
    master = new MbusMaster({ host: server.host, port: server.port, timeout: 250 });
    expect(master.connect()).toBe(true);
  });
  afterAll(async () => {
    await new Promise<void>((done) => master.close(() => done()));
    await server.close();
  });

  it('reads each meter by primary address and gets its identity and registers', async () => {
    for (const m of meters) {
      const data = await get(master, m.primaryAddress);
      expect(data.SlaveInformation.Id).toBe(Number(m.id));
      expect(data.SlaveInformation.Manufacturer).toBe(m.manufacturer ?? (m.model.startsWith('multical') ? 'KAM' : data.SlaveInformation.Manufacturer));
      const volume = data.DataRecord.find((r) => /^Volume/.test(r.Unit) && r.StorageNumber === 0);
      expect(volume, `volume record of ${m.id}`).toBeDefined();
    }
  }, 60_000);

  it('finds every meter with its own secondary search, collisions and all', async () => {
    const found = await new Promise<string[]>((resolve, reject) => master.scanSecondary((err, data) => (err ? reject(err) : resolve(data))));
    expect([...found].map((s) => s.toUpperCase()).sort()).toEqual(meters.map((m) => libmbusSecondary(m, bus)).sort());
  }, 120_000);

  it('reads a meter by the secondary address it found', async () => {
    const m = meters[2];
    const data = await get(master, libmbusSecondary(m, bus));
    expect(data.SlaveInformation.Id).toBe(Number(m.id));
  }, 30_000);
});
