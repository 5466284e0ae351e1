import type { Db } from '../db/connection.js';
import type { Env } from '../env.js';
import { openVault } from '../vault.js';
import { AuditStore } from './audit.js';
import { ConsumptionAlertStore } from './consumption-alerts.js';
import { CustomerStore } from './customers.js';
import { ExportFormatStore } from './export-formats.js';
import { ExportJobStore } from './export-jobs.js';
import { GroupStore } from './groups.js';
import { ImportStore } from './imports.js';
import { KeyStore } from './keys.js';
import { MeteringPointStore } from './metering-points.js';
import { MeterStore } from './meters.js';
import { MeterPositionStore } from './meter-positions.js';
import { MbusStore } from './mbus.js';
import { DeviceStore } from './devices.js';
import { PermissionStore } from './permissions.js';
import { TokenStore } from './tokens.js';
import { UserStore } from './users.js';
import { Ingest } from '../ingest/ingest.js';
import { FrameStore } from './frames.js';
import { JobStore } from './jobs.js';
import { ReadingStore } from './readings.js';
import { ReadingDays } from './reading-days.js';
import { SettingStore } from './settings.js';
import { SyncStore } from './sync.js';
import { SyncExchangeStore } from './sync-exchanges.js';

// The server's store: one object per resource, each behind its own interface, SQLite by
// default (architecture.md decision 4). Mutations take an Actor and write their audit entry in
// the same transaction as the change.
export interface Stores {
  permissions: PermissionStore;
  users: UserStore;
  tokens: TokenStore;
  devices: DeviceStore;
  audit: AuditStore;
  customers: CustomerStore;
  meteringPoints: MeteringPointStore;
  meters: MeterStore;
  groups: GroupStore;
  keys: KeyStore;
  frames: FrameStore;
  readings: ReadingStore;
  settings: SettingStore;
  jobs: JobStore;
  /** Raw-frame ingest; call ingest.keysChanged(tenantId, meterIds, now) after keys change. */
  ingest: Ingest;
  /** The field app's Send/Receive: device routes, frames by client id (issue 5). */
  sync: SyncStore;
  /** Meter exchanges done in the field (M12), by client id. */
  syncExchanges: SyncExchangeStore;
  /** Saved billing export formats (M13). */
  exportFormats: ExportFormatStore;
  /** Scheduled billing exports (M13). */
  exportJobs: ExportJobStore;
  /** Import runs, saved column mappings and watched folders (M14). */
  imports: ImportStore;
  /** Meter positions for the Manager map (M1). */
  meterPositions: MeterPositionStore;
  /** Per meter and local day sums of readings, for the reports (M5-M7, B3). */
  readingDays: ReadingDays;
  /** Consumption alerts (M10), evaluated as readings arrive and on the schedule. */
  consumptionAlerts: ConsumptionAlertStore;
  /** Wired M-Bus systems, the devices found on them and their runs (issue 8). */
  mbus: MbusStore;
}

export interface StoreOptions {
  env: Env;
  /** Absolute data folder (the key file lives here when KEY_MASTER is not set). */
  dataDir: string;
}

export function createStores(db: Db, _opts: StoreOptions): Stores {
  // the key vault: master key from KEY_MASTER or <dataDir>/master.key; throws VaultSetupError with a clear message
  const vault = openVault({
    keyMaster: _opts.env.KEY_MASTER,
    dataDir: _opts.dataDir,
    storedKeys: () => (db.prepare('select count(*) as n from meter_key').get() as { n: number }).n
  });
  const keys = new KeyStore(db, vault);
  keys.checkMasterKey();
  const frames = new FrameStore(db);
  const readings = new ReadingStore(db);
  const settings = new SettingStore(db);
  const devices = new DeviceStore(db);
  const ingest = new Ingest(db, frames, readings, settings, () => keys);
  const readingDays = new ReadingDays(db);
  readingDays.ensureAll();
  const consumptionAlerts = new ConsumptionAlertStore(db, readingDays);
  ingest.onReadings((tenantId, meterIds, now) => consumptionAlerts.evaluate(tenantId, meterIds, now));
  return {
    permissions: new PermissionStore(db),
    users: new UserStore(db),
    tokens: new TokenStore(db),
    devices,
    audit: new AuditStore(db),
    customers: new CustomerStore(db),
    meteringPoints: new MeteringPointStore(db),
    meters: new MeterStore(db),
    groups: new GroupStore(db),
    keys,
    frames,
    readings,
    settings,
    jobs: new JobStore(db),
    ingest,
    sync: new SyncStore(db, devices, keys, settings, ingest),
    syncExchanges: new SyncExchangeStore(db, new MeterStore(db), new GroupStore(db), readings),
    exportFormats: new ExportFormatStore(db),
    exportJobs: new ExportJobStore(db),
    imports: new ImportStore(db, _opts.dataDir),
    meterPositions: new MeterPositionStore(db),
    readingDays,
    consumptionAlerts,
    mbus: new MbusStore(db)
  };
}
