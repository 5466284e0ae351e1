import { defineConfig } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { E2E_ADMIN } from './tests/e2e/env';
import { E2E_SMTP_PORT } from './tests/e2e/mail-sink';

// End-to-end tests run the built app on the real server with a fresh data folder, in Debian's
// Chromium (/usr/bin/chromium) or CHROMIUM_PATH: Playwright's own browser download is not used.
const port = Number(process.env.E2E_PORT ?? 4173);
const dataDir = process.env.E2E_DATA_DIR ?? mkdtempSync(join(tmpdir(), 'readout-e2e-'));

export default defineConfig({
  testDir: 'tests/e2e',
  // a real SMTP server (tests/e2e/mail-sink.ts) for consumer reports and scheduled exports by mail
  globalSetup: './tests/e2e/global-setup.ts',
  workers: 1,
  retries: process.env.CI ? 1 : 0,
  timeout: 30_000,
  reporter: [['list'], ['json', { outputFile: 'test-results/pw.json' }]],
  outputDir: 'test-results/pw',
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    headless: true,
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run'
      ]
    }
  },
  webServer: {
    command: 'node dist/server/server/src/index.js',
    url: `http://127.0.0.1:${port}/api/health`,
    env: { PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, ADMIN_PASSWORD: E2E_ADMIN.password, DEMO: '0',
      SMTP_URL: `smtp://127.0.0.1:${E2E_SMTP_PORT}?tls=off`, MAIL_FROM: 'Readout E2E <readout@e2e.example>' },
    reuseExistingServer: false,
    stdout: 'pipe',
    timeout: 30_000
  }
});
