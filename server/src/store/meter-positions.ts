import type { Db } from '../db/connection.js';
import { notFound } from './registry.js';
import { lastImportRun } from './meters.js';


// Where the meters are, for the Manager map (M1): every meter with a current metering point that
// has a position, as parallel columns (one array per field), which at 100,000 meters is a third
// of the size of an array of objects and is what the browser's cluster index wants anyway.

export type PositionGroup = number | 'ungrouped' | 'last-imported';

export interface MeterPositions {
  ids: number[];
  lon: number[];
  lat: number[];
  /** 1: a Kamstrup meter (manufacturer KAM or KAW), drawn as the blue square. */
  kamstrup: (0 | 1)[];
  /** 1: the meter's newest reading carries a non-zero info code. */
  alarm: (0 | 1)[];
}

/**
 * Manufacturer codes Kamstrup meters send (EN 13757-7 three-letter code); the same set as the
 * field map's markerOf (web/src/lib/map/route-layer.ts).
 */
const KAMSTRUP = `('KAM', 'KAW')`;

// One pass over the current installations (partial unique index installation_meter_current), the
// point by primary key, the newest reading by the reading table's primary key (meter_id, at).
const SELECT = `select m.id, p.lon, p.lat, m.manufacturer in ${KAMSTRUP} as kamstrup,
    coalesce((select r.info from reading r where r.meter_id = m.id order by r.at desc limit 1), 0) <> 0 as alarm`;
const JOINS = `join installation i on i.meter_id = m.id and i.to_at is null
  join metering_point p on p.id = i.metering_point_id`;
const PLACED = 'p.lat is not null and p.lon is not null';

const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;

export class MeterPositionStore {
  constructor(private readonly db: Db) {}

  /** The positions of a tenant's meters, all or of one group; ordered by meter id. */
  list(tenantId: number, group: PositionGroup | null): MeterPositions {
    let sql: string;
    let args: unknown[];
    if (group === null) {
      sql = `${SELECT} from meter m ${JOINS} where m.tenant_id = ? and ${PLACED} order by m.id`;
      args = [tenantId];
    } else if (group === 'ungrouped') {
      sql = `${SELECT} from meter m ${JOINS}
        where m.tenant_id = ? and ${PLACED} and not exists (select 1 from group_member gm where gm.meter_id = m.id) order by m.id`;
      args = [tenantId];
    } else if (group === 'last-imported') {
      // the newest import run that created or changed meters (a key or customer import has none)
      const run = lastImportRun(this.db, tenantId)?.id;
      if (run === undefined) return { ids: [], lon: [], lat: [], kamstrup: [], alarm: [] };
      sql = `${SELECT} from import_run_meter x cross join meter m on m.id = x.meter_id ${JOINS}
        where x.run_id = ? and m.tenant_id = ? and ${PLACED} order by m.id`;
      args = [run, tenantId];
    } else {
      if (!this.db.prepare('select 1 from meter_group where tenant_id = ? and id = ?').get(tenantId, group)) throw notFound('Group', group);
      sql = `${SELECT} from group_member gm cross join meter m on m.id = gm.meter_id ${JOINS}
        where gm.group_id = ? and ${PLACED} order by m.id`;
      args = [group];
    }
    const out: MeterPositions = { ids: [], lon: [], lat: [], kamstrup: [], alarm: [] };
    for (const row of this.db.prepare(sql).raw().iterate(...args) as Iterable<[number, number, number, number, number]>) {
      out.ids.push(row[0]);
      out.lon.push(round6(row[1]));
      out.lat.push(round6(row[2]));
      out.kamstrup.push(row[3] ? 1 : 0);
      out.alarm.push(row[4] ? 1 : 0);
    }
    return out;
  }
}
