// npm run bench [-- <prefix>...]: every figure of every bench/*.mjs module, as lines
// "BENCH <name> <value> <unit>" (architecture.md "Done means"). With prefixes, only the figures
// whose names start with one of them. A bench module exports `figures` (the names it reports)
// and `run(report, only)`; `only(name)` says whether a figure was asked for.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const prefixes = process.argv.slice(2);
const wanted = (name) => !prefixes.length || prefixes.some((p) => name.startsWith(p));

let failed = false;
for (const file of readdirSync(join(root, 'bench')).filter((f) => f.endsWith('.mjs')).sort()) {
  const mod = await import(pathToFileURL(join(root, 'bench', file)).href);
  if (!Array.isArray(mod.figures) || typeof mod.run !== 'function') {
    process.stderr.write(`bench/${file}: expected exports "figures" and "run"\n`);
    failed = true;
    continue;
  }
  if (!mod.figures.some(wanted)) continue;
  const report = (name, value, unit) => {
    if (!wanted(name)) return;
    const shown = typeof value === 'number' && !Number.isInteger(value) ? value.toFixed(value < 10 ? 3 : 1) : value;
    process.stdout.write(`BENCH ${name} ${shown} ${unit}\n`);
  };
  try {
    await mod.run(report, wanted);
  } catch (err) {
    process.stderr.write(`bench/${file} failed: ${err?.stack ?? err}\n`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
