// A pseudo-terminal pair made by socat, for tests of the serial M-Bus link: what one end writes
// the other reads, as on a cable to a level converter. CI installs socat (apt-get install socat);
// without it the test fails with that sentence, it is never skipped.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export async function ptyPair(dir: string, cleanups: (() => unknown)[]): Promise<{ a: string; b: string }> {
  if (spawnSync('socat', ['-V']).error) {
    throw new Error('socat is needed for the serial-port test (a pseudo-terminal pair): install it, e.g. apt-get install -y socat');
  }
  const a = join(dir, 'a');
  const b = join(dir, 'b');
  const child: ChildProcess = spawn('socat', [`pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: 'ignore' });
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        if (child.exitCode !== null) return r();
        child.once('exit', () => r());
        child.kill();
      })
  );
  for (let i = 0; i < 100 && !(existsSync(a) && existsSync(b)); i++) await new Promise((r) => setTimeout(r, 20));
  if (!existsSync(a) || !existsSync(b)) throw new Error('socat did not create the pseudo-terminal pair within 2 s');
  return { a, b };
}
