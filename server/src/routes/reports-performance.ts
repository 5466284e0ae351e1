import { Hono, type Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import type { AppEnv } from '../context.js';
import { requirePermission } from '../middleware/permission.js';
import { describeRoute } from '../openapi.js';
import { performanceReport, type PerformanceQuery } from '../report/performance.js';
import { performanceCsv, gatewaysCsv, routesCsv } from '../report/performance-csv.js';
import { performanceSettings, setPerformanceSettings } from '../report/performance-settings.js';
import { gatewayPerformance, routePerformance } from '../report/performance-sources.js';
import { deleteReportComment, putReportComment, reportComments } from '../report/report-comments.js';
import { checkDates, csvHeaders, reportScope } from '../report/scope.js';
import { parseJson } from '../validate.js';
import { actor } from './customers.js';
import { idParam, paging, parseQuery, queryFlag } from './params.js';

// Reading performance (M7): per meter, per gateway and per drive-by route, the share of expected
// messages that arrived in an interval; the utility's "poor" threshold; comments on rows.
// Mounted at /api/reports/performance.

const poorBelow = z.coerce
  .number({ error: 'expected a share in % such as 80' })
  .min(0, 'expected 0 to 100 %')
  .max(100, 'expected 0 to 100 %');

const MeterQuery = z
  .object({
    ...reportScope,
    poorBelow: poorBelow.optional(),
    onlyPoor: queryFlag.optional(),
    sort: z.enum(['meter', 'share'], { error: 'expected meter or share' }).optional(),
    ...paging
  })
  .strict();

const SourceQuery = z.object({ ...reportScope }).strict();

const Settings = z.object({ poorBelow: z.number({ error: 'expected a share in % such as 80' }).min(0, 'expected 0 to 100 %').max(100, 'expected 0 to 100 %') }).strict();

const CommentBody = z
  .object({
    text: z.string({ error: 'expected the comment text' }).trim().min(1, 'write a comment, or delete it').max(500, 'at most 500 characters')
  })
  .strict();

/** The query of a report: checked dates, and export permission for CSV. */
function scopeOf<Q extends { from: string; to: string; format?: 'json' | 'csv' }>(c: Context<AppEnv>, q: Q): Q {
  checkDates(q.from, q.to);
  if (q.format === 'csv' && !c.var.principal!.permissions.has('export')) {
    throw new HTTPException(403, { message: 'Your role may not do this (needs "export").' });
  }
  return q;
}

const fileName = (kind: string, q: { from: string; to: string }) => `reading-performance-${kind}-${q.from}-${q.to}.csv`;

export const reportsPerformance = new Hono<AppEnv>()
  .get('/', requirePermission('readings.read'), (c) => {
    const q = scopeOf(c, parseQuery(c, MeterQuery));
    const { db, stores } = c.var.deps;
    const tenantId = c.var.principal!.tenantId;
    const query: PerformanceQuery = { group: q.group, from: q.from, to: q.to, onlyPoor: q.onlyPoor };
    query.poorBelow = q.poorBelow ?? performanceSettings(stores.settings, tenantId).poorBelow;
    const report = performanceReport(db, stores.readingDays, tenantId, query);
    const comments = reportComments(db, tenantId, 'performance');
    if (q.format === 'csv') {
      return c.body(performanceCsv(report, comments), 200, csvHeaders(fileName('meters', q)));
    }
    const rows = report.rows;
    // worst first; meters nothing was expected of last
    if (q.sort !== 'meter') rows.sort((a, b) => (a.share ?? 101) - (b.share ?? 101) || a.meterId - b.meterId);
    const page = rows.slice(q.offset, q.offset + q.limit).map((r) => ({ ...r, comment: comments.get(r.meterId) ?? null }));
    return c.json({ ...report, rows: page, total: rows.length, limit: q.limit, offset: q.offset });
  })
  .get('/gateways', requirePermission('readings.read'), (c) => {
    const q = scopeOf(c, parseQuery(c, SourceQuery));
    const { db, stores } = c.var.deps;
    const report = gatewayPerformance(db, stores.readingDays, c.var.principal!.tenantId, q);
    if (q.format === 'csv') return c.body(gatewaysCsv(report.gateways), 200, csvHeaders(fileName('gateways', q)));
    return c.json(report);
  })
  .get('/routes', requirePermission('readings.read'), (c) => {
    const q = scopeOf(c, parseQuery(c, SourceQuery));
    const { db, stores } = c.var.deps;
    const report = routePerformance(db, stores.readingDays, c.var.principal!.tenantId, q);
    if (q.format === 'csv') return c.body(routesCsv(report.routes), 200, csvHeaders(fileName('routes', q)));
    return c.json(report);
  })
  .get('/settings', requirePermission('readings.read'), (c) => {
    return c.json(performanceSettings(c.var.deps.stores.settings, c.var.principal!.tenantId));
  })
  .put('/settings', requirePermission('settings.manage'), async (c) => {
    const body = await parseJson(c, Settings);
    const { db, stores, now } = c.var.deps;
    return c.json(setPerformanceSettings(db, stores.settings, actor(c), body, now()));
  })
  .put('/comments/:meterId', requirePermission('alerts.write'), async (c) => {
    const meterId = idParam(c, 'meterId');
    const body = await parseJson(c, CommentBody);
    const { db, now } = c.var.deps;
    return c.json(putReportComment(db, actor(c), 'performance', meterId, body.text, now()));
  })
  .delete('/comments/:meterId', requirePermission('alerts.write'), (c) => {
    const meterId = idParam(c, 'meterId');
    const { db, now } = c.var.deps;
    if (!deleteReportComment(db, actor(c), 'performance', meterId, now())) {
      throw new HTTPException(404, { message: `No comment on meter ${meterId}.` });
    }
    return c.body(null, 204);
  });

const BASE = '/api/reports/performance';
const RULE =
  'Expected messages follow the meter\'s reading mode: fixed network and point-to-point one per transmission interval (interval_s, ' +
  'else 900 s and 3600 s) from the later of `from` and when the meter became known (its creation, first installation or first ' +
  'reading, whichever is earliest); drive-by and optical one reading per interval (0 or 100 %); wired one per local day. ' +
  'Expected is rounded to whole messages. Share = min(received, expected) / expected.';

describeRoute(
  {
    method: 'get',
    path: BASE,
    tag: 'Reports',
    summary: 'Reading performance per meter: received against expected messages, and hours with a value',
    description: `${RULE} Poor: share below poorBelow (default: the saved threshold). sort=share (default) puts the worst first. format=csv (needs export as well) returns every row with its comment.`,
    permission: 'readings.read',
    query: MeterQuery,
    response: '{from, to, timeZone, poorBelow, meters, poor, received, expected, share, rows: [{meter…, readingMode, intervalS, received, expected, share, hoursWithValue, hours, hourShare, lastReadingAt, poor, comment}], total, limit, offset}; CSV'
  },
  {
    method: 'get',
    path: `${BASE}/gateways`,
    tag: 'Reports',
    summary: 'Reading performance per gateway: meters heard, messages and the share of their expected messages',
    description: 'Receptions by the frame source names gateways post with; sources "device <id>[/…]" are field devices (see /routes). format=csv needs export as well.',
    permission: 'readings.read',
    query: SourceQuery,
    response: '{from, to, timeZone, gateways: [{source, frames, messages, meters, expected, share, lastAt}]}; CSV'
  },
  {
    method: 'get',
    path: `${BASE}/routes`,
    tag: 'Reports',
    summary: 'Reading performance per drive-by route: meters on a field device\'s route, heard by it, read at all',
    description: 'A device\'s route is the meters of its groups; heard: the device uploaded a frame of the meter in the interval. format=csv needs export as well.',
    permission: 'readings.read',
    query: SourceQuery,
    response: '{from, to, timeZone, routes: [{deviceId, device, revoked, groups, meters, heard, read, messages, share, lastAt}]}; CSV'
  },
  {
    method: 'get',
    path: `${BASE}/settings`,
    tag: 'Reports',
    summary: 'The utility\'s "poor" threshold of the reading-performance report',
    permission: 'readings.read',
    response: '{poorBelow}'
  },
  {
    method: 'put',
    path: `${BASE}/settings`,
    tag: 'Reports',
    summary: 'Save the "poor" threshold (audited as settings.changed)',
    permission: 'settings.manage',
    body: Settings,
    response: '{poorBelow}'
  },
  {
    method: 'put',
    path: `${BASE}/comments/:meterId`,
    tag: 'Reports',
    summary: 'Write or replace the comment on a meter\'s reading-performance row (audited)',
    permission: 'alerts.write',
    body: CommentBody,
    response: '{meterId, text, author, createdAt, updatedAt}'
  },
  {
    method: 'delete',
    path: `${BASE}/comments/:meterId`,
    tag: 'Reports',
    summary: 'Delete the comment on a meter\'s reading-performance row (audited)',
    permission: 'alerts.write',
    response: 'no content',
    status: 204
  }
);
