// The Manager's help (M22): every Help link in the app opens a page that exists, every page the
// brief names is there with real content, and every page links back to a screen of the Manager.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { AREAS, areaById, SECTIONS_OF_HELP } from '../../web/src/routes/manager/help/areas';

const WEB = join(__dirname, '../../web/src');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(svelte|ts)$/.test(name) ? [path] : [];
  });
}

const REQUIRED = ['home', 'meters', 'groups', 'map', 'meter', 'exchange', 'exports', 'imports', 'users', 'roles', 'tokens', 'devices', 'audit', 'erasure', 'mail', 'heat', 'network', 'notifications', 'alarms', 'alerts', 'performance', 'consumption', 'mbus'];

describe('help areas', () => {
  test('every area the Manager needs has a page, each id once, each in the index', () => {
    const ids = AREAS.map((a) => a.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual([...REQUIRED].sort());
    expect(SECTIONS_OF_HELP.flatMap((s) => s.ids).sort()).toEqual([...REQUIRED].sort());
  });

  test('every <HelpLink area="…"> in the web app names an existing help page', () => {
    const used = new Set<string>();
    for (const file of sources(WEB)) {
      for (const m of readFileSync(file, 'utf8').matchAll(/<HelpLink\s+area="([^"]+)"/g)) used.add(m[1]);
    }
    expect(used.size).toBeGreaterThan(5); // the scan found the links (start page, configuration screens)
    for (const area of used) expect(areaById(area), `HelpLink area="${area}"`).toBeDefined();
  });

  test('each page has a screen in the Manager, steps, a permission, and related pages that exist', () => {
    for (const a of AREAS) {
      expect(a.screen.href, a.id).toMatch(/^\/manager(\/|$|\?)/);
      expect(a.summary.length, a.id).toBeGreaterThan(40);
      expect(a.steps.length, a.id).toBeGreaterThan(0);
      for (const s of a.steps) expect(s.items.length, `${a.id}: ${s.title}`).toBeGreaterThan(0);
      expect(a.problems.length, a.id).toBeGreaterThan(0);
      expect(a.permission, a.id).toMatch(/\S/);
      for (const r of a.related ?? []) expect(areaById(r), `${a.id} → ${r}`).toBeDefined();
    }
  });

  test('the configuration screens built here are where their help pages say', () => {
    for (const id of ['users', 'roles', 'tokens', 'erasure', 'mail', 'devices', 'audit']) {
      const path = areaById(id)!.screen.href;
      expect(statSync(join(WEB, 'routes', path, '+page.svelte')).isFile(), path).toBe(true);
    }
  });
});
