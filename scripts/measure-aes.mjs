// AES micro-benchmark behind the choice documented at the top of shared/crypto/aes.ts:
// our table AES vs @noble/ciphers' public API, per call, for the sizes wM-Bus telegrams use.
//
//   npm run build && node scripts/measure-aes.mjs        (uses dist/server/shared)
//   SHARED=/some/dir node scripts/measure-aes.mjs        (any compiled copy of shared/)
//
// Short on purpose (~0.25 s per case): the build machine is shared.
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { ctr, cbc, ecb, unsafe } from '@noble/ciphers/aes.js';

const shared = process.env.SHARED ?? new URL('../dist/server/shared/', import.meta.url).pathname;
const aes = await import(pathToFileURL(`${shared}/crypto/aes.js`).href);

const raw = Uint8Array.from({ length: 16 }, (_, i) => i * 17);
const iv = Uint8Array.from({ length: 16 }, (_, i) => 255 - i);
const data = (n) => Uint8Array.from({ length: n }, (_, i) => i);
const k = aes.aesKey(raw);

/** Best of 7 rounds of ~30 ms: the minimum is the least disturbed by GC and other load. */
function bench(name, fn, rounds = 7, ms = 30) {
  for (let i = 0; i < 5000; i++) fn(); // warm up
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    let n = 0;
    const t0 = performance.now();
    let t = t0;
    while (t - t0 < ms) {
      for (let i = 0; i < 200; i++) fn();
      n += 200;
      t = performance.now();
    }
    best = Math.min(best, ((t - t0) * 1000) / n);
  }
  console.log(`${name.padEnd(46)} ${best.toFixed(3).padStart(8)} µs/call  ${Math.round(1e6 / best).toLocaleString('en').padStart(12)} /s`);
}

const block = data(16);
const out = new Uint8Array(16);
const d40 = data(40);
const d64 = data(64);
const d144 = data(144);

bench('own   aesKey (expand schedule)', () => aes.aesKey(raw));
bench('own   aesEncryptBlock', () => aes.aesEncryptBlock(k, block, 0, out, 0));
bench('noble ecb(key).encrypt 1 block', () => ecb(raw, { disablePadding: true }).encrypt(block));
const xk = unsafe.expandKeyLE(raw);
bench('noble unsafe.encryptBlock (cached schedule)', () => unsafe.encryptBlock(xk, block.slice()));
bench('own   aesCtr 40 B (TV-4 ELL payload)', () => aes.aesCtr(k, iv, d40));
bench('noble ctr(key, iv).encrypt 40 B', () => ctr(raw, iv).encrypt(d40));
bench('own   aesCbcDecrypt 64 B (4 blocks)', () => aes.aesCbcDecrypt(k, iv, d64));
bench('noble cbc(key, iv).decrypt 64 B', () => cbc(raw, iv, { disablePadding: true }).decrypt(d64));
bench('own   aesCbcDecrypt 144 B (9 blocks, TV-2)', () => aes.aesCbcDecrypt(k, iv, d144));
bench('noble cbc(key, iv).decrypt 144 B', () => cbc(raw, iv, { disablePadding: true }).decrypt(d144));
bench('own   aesCbcEncrypt 64 B', () => aes.aesCbcEncrypt(k, iv, d64));
bench('own   aesKey + aesCtr 40 B (cold key)', () => aes.aesCtr(aes.aesKey(raw), iv, d40));
