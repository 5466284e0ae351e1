import { loadEnv } from './env.js';
import { startServer, type Running } from './server.js';

// The server process: `npm start` runs this after building the web app.
const env = loadEnv();

// Signals are handled from the first moment: one that arrives while the database is being
// opened or migrated stops the server as soon as the start has finished, never halfway.
let running: Running | null = null;
let stopRequested: string | null = null;
const stop = (signal: string) => {
  if (stopRequested) return;
  stopRequested = signal;
  if (!running) return;
  process.stdout.write(`${signal}: stopping, finishing open requests\n`);
  const force = setTimeout(() => {
    process.stderr.write('Requests still open after 10 s: stopping anyway\n');
    process.exit(1);
  }, 10_000);
  force.unref();
  running.close().then(() => process.exit(0));
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));

try {
  running = await startServer(env);
  const { firstStart } = running;
  const lines = [`Readout is running at ${running.url}`];
  if (firstStart.generatedPassword) {
    lines.push(
      `First start: created "Demo Utility" and its administrator.`,
      `  Sign in as ${firstStart.login} with password ${firstStart.generatedPassword}`,
      `  This password is shown only now. Set ADMIN_PASSWORD on an empty data folder to choose it.`
    );
  } else if (firstStart.created) {
    lines.push(`First start: created "Demo Utility". Sign in as ${firstStart.login} with the password from ADMIN_PASSWORD.`);
  } else {
    lines.push(`Sign in as ${firstStart.login} (the password was set at first start).`);
  }
  if (running.demo) {
    const d = running.demo;
    const days = Math.round((d.to - d.from) / 86_400_000);
    lines.push(
      `Demo data: ${d.meters} meters with ${days} days of hourly readings in "Demo Utility" (made in ${(d.ms / 1000).toFixed(0)} s; DEMO=0 on an empty data folder starts without).`
    );
  }
  process.stdout.write(lines.join('\n') + '\n');
  if (stopRequested) {
    const signal = stopRequested;
    stopRequested = null;
    stop(signal);
  }
} catch (err) {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'EADDRINUSE') {
    process.stderr.write(`Readout cannot start: port ${env.PORT} is in use. Stop the other program or set PORT.\n`);
  } else if (e.code === 'EACCES') {
    process.stderr.write(`Readout cannot start: no permission for port ${env.PORT} or the data folder ${env.DATA_DIR}.\n`);
  } else {
    process.stderr.write(`Readout cannot start: ${e.message}\n`);
  }
  process.exit(1);
}
