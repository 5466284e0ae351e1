import { chromium } from '@playwright/test';
const base = 'http://localhost:8199';
const b = await chromium.launch({ executablePath: '/usr/bin/chromium' });
const p = await b.newPage({ viewport: { width: 1280, height: 900 } });
await p.goto(base + '/manager');
await p.waitForTimeout(1500);
if (await p.getByLabel('User name').count()) {
  await p.getByLabel('User name').fill('admin');
  await p.getByLabel('Password').fill('demo-password-1');
  await p.getByRole('button', { name: /sign in/i }).click();
  await p.waitForTimeout(1500);
}
for (const [name, path] of process.argv.slice(2).map((x) => x.split('='))) {
  await p.goto(base + path);
  await p.waitForTimeout(5000);
  await p.screenshot({ path: `/tmp/shot-${name}.png`, fullPage: false });
}
await b.close();
