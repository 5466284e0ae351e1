import type { Db } from '../db/connection.js';
import { configureMbusRunner } from '../mbus/runner.js';
import { startSimBusServer } from '../mbus/sim-server.js';
import type { Stores } from '../store/index.js';
import { SimBus } from '../../../shared/mbus/sim/bus.js';
import { simSegment } from '../../../shared/mbus/sim/segment.js';

// The demo's wired M-Bus (issue 8): a simulated segment of 20 meters (one with a valve) behind a
// TCP port on 127.0.0.1, started with the server whenever it runs with demo data, and the system
// "Plant room, Jernbanegade 4" of the demo utility pointing at it, so that a scan, a read and the
// valve work out of the box. The simulated line runs DEMO_MBUS_SPEED× faster than a 2400-baud cable
// and the master's waits for this system only DEMO_MASTER_SPEED× shorter (a full primary scan takes
// seconds, not minutes).

export const DEMO_MBUS_SYSTEM = 'Plant room, Jernbanegade 4';
export const DEMO_MBUS_METERS = 20;
export const DEMO_MBUS_SPEED = 10;
/**
 * The master's waits for the demo system are shortened less than the line: the bus runs in the
 * server's own event loop, and a report being computed must not make a meter look silent or cut
 * its answer (answer timeout 72 ms, inter-byte gap 75 ms; a full primary scan takes ~20 s).
 */
const DEMO_MASTER_SPEED = 4;
const DEMO_MBUS_SEED = 4;
/** Registers start from their initial values here, so they are the same after every restart. */
const DEMO_MBUS_EPOCH = Date.UTC(2025, 0, 1);

/** First start: the demo utility's system (its address is set when the bus starts). */
export function createDemoMbusSystem(db: Db, tenantId: number, now: number): number {
  const row = db
    .prepare(
      `insert into mbus_system (tenant_id, name, transport, address, baud, addressing, schedule, enabled, created_at, updated_at)
       values (?, ?, 'tcp', '127.0.0.1:10001', 2400, 'primary', null, 1, ?, ?) returning id`
    )
    .get(tenantId, DEMO_MBUS_SYSTEM, now, now) as { id: number };
  return row.id;
}

export interface DemoMbus {
  systemId: number;
  address: string;
  close(): Promise<void>;
}

/**
 * Starts the simulated segment and points the demo system at it (the port is new on every start;
 * the address is the server's own setting, not audited). Null when the demo utility has no such
 * system (deleted, or a database made without the demo).
 */
export async function startDemoMbus(deps: { db: Db; stores: Stores; now: () => number; log?: (line: string) => void }, tenantId: number): Promise<DemoMbus | null> {
  const { db } = deps;
  const systemId = db.prepare('select id from mbus_system where tenant_id = ? and name = ?').pluck().get(tenantId, DEMO_MBUS_SYSTEM) as number | undefined;
  if (systemId === undefined) return null;
  const bus = new SimBus({ meters: simSegment(DEMO_MBUS_METERS, { seed: DEMO_MBUS_SEED, collide: true, valveEvery: DEMO_MBUS_METERS }), startEpochMs: DEMO_MBUS_EPOCH });
  const server = await startSimBusServer({ bus, baud: 2400, timeScale: DEMO_MBUS_SPEED, host: '127.0.0.1', port: 0 });
  const address = `127.0.0.1:${server.port}`;
  db.prepare('update mbus_system set address = ?, transport = ?, baud = 2400 where id = ?').run(address, 'tcp', systemId);
  configureMbusRunner(deps, {
    masterOptionsFor: (s) => (s.transport === 'tcp' && s.address === address ? { timeScale: DEMO_MASTER_SPEED } : {})
  });
  return { systemId, address, close: () => server.close() };
}
