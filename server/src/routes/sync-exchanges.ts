import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import { actorOf } from '../auth/principal.js';
import type { AppEnv } from '../context.js';
import { requirePermission } from '../middleware/permission.js';
import { describeRoute } from '../openapi.js';
import { EXCHANGE_MAX_FUTURE_MS, SyncExchangeStore, type FieldExchangeResult, type FieldExchangeStatus } from '../store/sync-exchanges.js';
import { parseJson, rejectField, type FieldError } from '../validate.js';
import { instant } from './ingest.js';
import { positiveId } from './metering-points.js';
import { callingDevice, DEVICE_TOKEN, NOT_AUTHORISED, uuid } from './sync.js';

// Send, part 2: meter exchanges done in the field (M12, issue 5). Mounted at /api/sync next to
// routes/sync.ts. The device's own token; only meters on the device's route; idempotent by the
// app's client id. A malformed exchange is answered 'rejected' with its field messages, so one bad
// exchange never holds back the others; only a batch without usable client ids is a 422.

export const MAX_EXCHANGES = 100;

const register = z.enum(['energy', 'volume'], { error: 'expected energy or volume' });
const value = z.number({ error: 'expected the register value as a number' }).min(0, 'expected 0 or more');
const unit = z.string({ error: 'expected a unit such as kWh, MWh, GJ, m3' }).min(1, 'expected a unit such as kWh, MWh, GJ, m3').max(10, 'expected a unit such as kWh, MWh, GJ, m3');

const ExchangeItem = z
  .object({
    clientId: uuid,
    meterId: positiveId,
    at: instant,
    final: z
      .object({
        register,
        value,
        unit,
        source: z.enum(['radio', 'typed'], { error: 'expected radio (from a telegram) or typed (read off the display)' })
      })
      .strict(),
    newMeter: z
      .object({
        manufacturer: z
          .string({ error: 'expected the 3-letter manufacturer code' })
          .regex(/^[A-Za-z]{3}$/, 'expected the 3-letter manufacturer code such as KAM')
          .transform((s) => s.toUpperCase()),
        serial: z.string({ error: 'expected the serial number' }).regex(/^\d{8}$/, 'expected the 8 digits printed on the meter')
      })
      .strict(),
    start: z.object({ register, value, unit }).strict(),
    note: z.string({ error: 'expected text' }).trim().max(500, 'at most 500 characters').optional()
  })
  .strict();

/** A request's list: one bound, whether its items are checked now or one by one later. */
const listOf = <T extends z.ZodType>(item: T) =>
  z
    .object({
      exchanges: z
        .array(item, { error: 'expected a list of exchanges' })
        .min(1, 'send at least one exchange')
        .max(MAX_EXCHANGES, `expected at most ${MAX_EXCHANGES} exchanges per request`)
    })
    .strict();

/** The documented body; the route checks the list first (Envelope) and each exchange on its own. */
const SendExchanges = listOf(ExchangeItem);
const Envelope = listOf(z.unknown());

const tooLarge = bodyLimit({
  maxSize: 1024 * 1024,
  onError: (c) => c.json({ error: `The request body is larger than 1 MB: send at most ${MAX_EXCHANGES} exchanges per request.` }, 413)
});

type Checked = { ok: true; value: z.infer<typeof ExchangeItem> } | { ok: false; clientId: string; fields: FieldError[] };

export const syncExchanges = new Hono<AppEnv>().post('/exchanges', requirePermission('ingest'), tooLarge, async (c) => {
  const p = callingDevice(c);
  const body = await parseJson(c, Envelope);
  const { stores, now } = c.var.deps;
  const at = now();
  const seen = new Map<string, number>();
  const checked = body.exchanges.map((raw, i): Checked => {
    const id = uuid.safeParse(raw && typeof raw === 'object' ? (raw as { clientId?: unknown }).clientId : undefined);
    if (!id.success) rejectField(`exchanges.${i}.clientId`, id.error.issues[0].message);
    const earlier = seen.get(id.data);
    if (earlier !== undefined) rejectField(`exchanges.${i}.clientId`, `the same clientId as exchanges.${earlier}: give each exchange its own`);
    seen.set(id.data, i);
    const item = ExchangeItem.safeParse(raw);
    if (item.success) return { ok: true, value: item.data };
    return { ok: false, clientId: id.data, fields: item.error.issues.map((s) => ({
        field: s.path.join('.') || (s.code === 'unrecognized_keys' ? s.keys.join(', ') : ''),
        message: s.message
      })) };
  });
  const device = stores.devices.get(p.tenantId, p.refId);
  if (device?.status !== 'authorised') throw new HTTPException(403, { message: NOT_AUTHORISED });
  const actor = actorOf(p, device.name);
  const results: FieldExchangeResult[] = checked.map((x) =>
    x.ok ? stores.syncExchanges.apply(actor, p.refId, x.value, at) : SyncExchangeStore.invalid(x.clientId, x.fields)
  );
  const counts: Partial<Record<FieldExchangeStatus, number>> = {};
  for (const r of results) counts[r.status] = (counts[r.status] ?? 0) + 1;
  return c.json({ receivedAt: at, counts, results });
});

describeRoute({
  method: 'post',
  path: '/api/sync/exchanges',
  tag: 'Field sync',
  summary: 'Send: meter exchanges done in the field (M12), idempotent by client id',
  description:
    DEVICE_TOKEN +
    `An authorised device only (403 while pending). Up to ${MAX_EXCHANGES} exchanges, each with the app's own clientId (UUID), ` +
    'each applied in its own transaction: the old meter (on this device\'s route, installed at a metering point) comes off at `at` ' +
    'and the new one goes on at the same instant, as POST /api/metering-points/{id}/exchange does. The new meter is found by ' +
    'manufacturer and serial, or created like the old one (medium, device type) without a key: `newMeterNeedsKey` then tells the ' +
    'office to add its key. It joins the old meter\'s groups. The final reading of the old meter and the start reading of the new one ' +
    'are stored at `at` (marked {"source": "field-exchange"} in `extra`), so consumption of the metering point is continuous across ' +
    'the exchange. Audited as meter.exchanged with the device as actor. A clientId applied before answers "duplicate" with the first ' +
    'result and changes nothing; the same clientId with other content answers "rejected". An exchange that cannot be applied (meter not ' +
    'found, not on the route, not installed, new serial installed elsewhere, `at` before the installation began or more than ' +
    `${EXCHANGE_MAX_FUTURE_MS / 60_000} minutes ahead, a value that is not a number of 0 or more, a unit that is not the register's) ` +
    'answers "rejected" with `reason` and `fields` and changes nothing; the others are applied. Units: energy J, Wh, kWh, MWh, MJ, GJ; ' +
    'volume l, m3. Heat and cooling meters take energy, water meters volume.',
  permission: 'ingest',
  body: SendExchanges,
  response:
    '{receivedAt, counts per status, results: [{clientId, status: done | duplicate | rejected, reason, fields: [{field, message}], ' +
    'meteringPointId, oldMeterId, newMeterId, newMeterNeedsKey, newMeterCreated, first: {at, deviceId}}] in input order}'
});
