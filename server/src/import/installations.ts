// The 'installations' CSV import (M14): one line per metering point with its customer and its
// meter, as billing systems export them. Each line upserts the customer (by number), the
// metering point (by number, linked to that customer) and the meter (by manufacturer and
// serial), and installs the meter at the point unless it is there already. A meter installed
// elsewhere, or a point holding another meter, is that line's error: that is an exchange.
import type { Stores } from '../store/index.js';
import { cellNumber, cellText, meterInputOf, type CellValue } from './fields.js';

export interface InstallationRow {
  line: number;
  values: Record<string, CellValue | undefined>;
}
type Fail = (line: number, field: string | null, message: string) => void;


/** Checks the lines against each other and the database; calls fail for each problem. */
export function checkInstallations(rows: InstallationRow[], stores: Stores, tenantId: number, fail: Fail): void {
  const meters = new Map<string, number>();
  const points = new Map<string, number>();
  const customers = new Map<string, { line: number; name: string }>();
  for (const { line, values: v } of rows) {
    const customer = typeof v.customerNumber === 'string' ? v.customerNumber : null;
    if (customer !== null && typeof v.customerName !== 'string') {
      fail(line, 'customerName', 'required when a customer number is given');
      continue;
    }
    if (customer === null && typeof v.customerName === 'string') {
      fail(line, 'customerNumber', 'required when a customer name is given');
      continue;
    }
    if (customer !== null) {
      const seen = customers.get(customer);
      if (seen && seen.name !== v.customerName) {
        fail(line, 'customerName', `customer ${customer} has another name on line ${seen.line}`);
        continue;
      }
      if (!seen) customers.set(customer, { line, name: String(v.customerName) });
    }
    const identity = `${v.manufacturer} ${v.serial}`;
    const pointNumber = String(v.meteringPointNumber);
    if (meters.has(identity)) {
      fail(line, 'serial', `the same meter (manufacturer and serial) is also on line ${meters.get(identity)}`);
      continue;
    }
    if (points.has(pointNumber)) {
      fail(line, 'meteringPointNumber', `the same metering point is also on line ${points.get(pointNumber)}`);
      continue;
    }
    meters.set(identity, line);
    points.set(pointNumber, line);
    const meterId = stores.meters.idByIdentity(tenantId, String(v.manufacturer), String(v.serial));
    const pointId = stores.meteringPoints.idByNumber(tenantId, pointNumber);
    const current = meterId === undefined ? null : stores.meters.currentPointOf(meterId);
    if (current !== null && current !== (pointId ?? null)) {
      fail(line, 'meteringPointNumber', 'the meter is installed at another metering point now; exchange it there instead');
      continue;
    }
    const there = pointId === undefined ? null : stores.meters.currentMeterAt(pointId);
    if (there !== null && there !== meterId) {
      fail(line, 'meteringPointNumber', `another meter (id ${there}) is installed at this metering point; exchange it instead`);
    }
  }
}

/** Writes one checked line; answers its outcome and the meter. */
export function writeInstallation(
  row: InstallationRow,
  stores: Stores,
  tenantId: number,
  now: number
): { outcome: 'created' | 'updated' | 'unchanged'; meterId: number; installed: boolean } {
  const v = row.values;
  let changed = false;
  let customerId: number | null | undefined;
  if (typeof v.customerNumber === 'string') {
    const number = v.customerNumber;
    changed = stores.customers.upsertByNumber(tenantId, { number, name: String(v.customerName), email: cellText(v.email), phone: cellText(v.phone) }, now) !== 'unchanged';
    customerId = stores.customers.idByNumber(tenantId, number)!;
  } else if (v.customerNumber === null) customerId = null;
  const pointNumber = String(v.meteringPointNumber);
  const point = { number: pointNumber, address: String(v.address), postalCode: cellText(v.postalCode), city: cellText(v.city), lat: cellNumber(v.lat), lon: cellNumber(v.lon), customerId };
  changed = stores.meteringPoints.upsertByNumber(tenantId, point, now) !== 'unchanged' || changed;
  const pointId = stores.meteringPoints.idByNumber(tenantId, pointNumber)!;
  const meter = stores.meters.upsert(
    tenantId,
    meterInputOf(v),
    now
  );
  const installed = stores.meters.ensureInstalled(tenantId, meter.id, pointId, typeof v.installedFrom === 'number' ? v.installedFrom : now);
  const outcome = meter.outcome === 'created' ? 'created' : changed || installed || meter.outcome === 'updated' ? 'updated' : 'unchanged';
  return { outcome, meterId: meter.id, installed };
}
