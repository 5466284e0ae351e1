import { serveStatic } from '@hono/node-server/serve-static';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { AppDeps, AppEnv } from './context.js';
import { principal } from './middleware/principal.js';
import { alarms } from './routes/alarms.js';
import { alerts } from './routes/alerts.js';
import { auditLog } from './routes/audit.js';
import { auth } from './routes/auth.js';
import { devices } from './routes/devices.js';
import { health } from './routes/health.js';
import { permissions } from './routes/permissions.js';
import { tokens } from './routes/tokens.js';
import { users } from './routes/users.js';
import { docs } from './routes/docs.js';
import { erasure } from './routes/erasure.js';
import { exportRoutes } from './routes/exports.js';
import { frames } from './routes/frames.js';
import { gateways, ingest } from './routes/ingest.js';
import { readings } from './routes/readings.js';
import { jobs, settings } from './routes/settings.js';
import { consumerReports } from './routes/consumer-report.js';
import { heatReports } from './routes/reports-heat.js';
import { consumptionReports } from './routes/reports-consumption.js';
import { customers } from './routes/customers.js';
import { groups } from './routes/groups.js';
import { imports } from './routes/imports.js';
import { meteringPoints } from './routes/metering-points.js';
import { meters } from './routes/meters.js';
import { meterPositions } from './routes/meter-positions.js';
import { deviceRoute, sync } from './routes/sync.js';
import { syncExchanges } from './routes/sync-exchanges.js';
import { notifications, smsSettings } from './routes/notifications.js';
import { reportsPerformance } from './routes/reports-performance.js';
import { mbus } from './routes/mbus.js';

export interface AppOptions {
  /** Folder with the built web app; omitted in API-only tests. */
  buildDir?: string;
  log?: (line: string) => void;
}

export function createApp(deps: AppDeps, opts: AppOptions = {}) {
  const log = opts.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const api = new Hono<AppEnv>()
    .use(async (c, next) => {
      c.set('deps', deps);
      await next();
    })
    .use(principal())
    .route('/health', health)
    .route('/auth', auth)
    .route('/customers', customers)
    .route('/metering-points', meteringPoints)
    .route('/meters', meters)
    .route('/meter-positions', meterPositions)
    .route('/groups', groups)
    .route('/imports', imports)
    .route('/users', users)
    .route('/permissions', permissions)
    .route('/tokens', tokens)
    .route('/devices', devices)
    .route('/devices', deviceRoute)
    .route('/sync', sync)
    .route('/sync', syncExchanges)
    .route('/audit', auditLog)
    .route('/ingest', ingest)
    .route('/gateways', gateways)
    .route('/frames', frames)
    .route('/settings', settings)
    .route('/settings', smsSettings)
    .route('/notifications', notifications)
    .route('/jobs', jobs)
    .route('/exports', exportRoutes)
    .route('/reports/performance', reportsPerformance)
    .route('/mbus', mbus)
    .route('/', readings)
    .route('/', alarms)
    .route('/', alerts)
    .route('/', consumerReports)
    .route('/', heatReports)
    .route('/', consumptionReports)
    .route('/', erasure)
    .route('/', docs);

  const app = new Hono<AppEnv>().route('/api', api);

  app.onError((err, c) => {
    if (err instanceof HTTPException) {
      if (err.res) return err.res;
      return c.json({ error: err.message }, err.status);
    }
    const id = randomUUID();
    log(`request ${id} ${c.req.method} ${c.req.path} failed: ${err.stack ?? err}`);
    return c.json({ error: `Something went wrong on the server (request ${id}).`, requestId: id }, 500);
  });
  app.all('/api/*', (c) => c.json({ error: `No API route ${c.req.method} ${c.req.path}.` }, 404));

  if (opts.buildDir) mountWebApp(app, opts.buildDir);
  return app;
}

/** The built SPA: hashed assets cached for a year, the shell and service worker always revalidated,
 *  and index.html for any other path so deep links work (the client router takes over). */
function mountWebApp(app: Hono<AppEnv>, dir: string) {
  const index = join(dir, 'index.html');
  if (!existsSync(index)) {
    app.get('*', (c) => c.text('The web app is not built yet: run "npm run build" (npm start does it for you).', 503));
    return;
  }
  const shell = readFileSync(index, 'utf8');
  app.use('*', async (c, next) => {
    await next();
    const p = c.req.path;
    if (p.startsWith('/_app/immutable/')) c.header('cache-control', 'public, max-age=31536000, immutable');
    else if (c.res.status === 200 && !c.res.headers.has('cache-control')) c.header('cache-control', 'no-cache');
  });
  app.use('*', serveStatic({ root: relative(process.cwd(), dir) || '.' }));
  app.get('*', (c) => c.html(shell));
}

export type AppType = ReturnType<typeof createApp>;
