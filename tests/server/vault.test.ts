import { chmodSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseEnv } from '../../server/src/env';
import { openVault, Vault, VaultOpenError, VaultSetupError } from '../../server/src/vault';
import { makeTestServer, useTempDir } from './helpers';

const tempDir = useTempDir();
const MASTER = 'ab'.repeat(32);
const KEY = Uint8Array.from({ length: 16 }, (_, i) => i * 7);
const none = () => 0;

describe('vault: AES-256-GCM per meter', () => {
  test('seals with a fresh nonce, opens only for the same meter and master key', () => {
    const vault = new Vault(Buffer.from(MASTER, 'hex'), 'test');
    const a = vault.seal(7, KEY);
    const b = vault.seal(7, KEY);
    expect(a.nonce).toHaveLength(12);
    expect(a.ciphertext).toHaveLength(32);
    expect(a.nonce.equals(b.nonce)).toBe(false);
    expect(a.ciphertext.equals(b.ciphertext)).toBe(false);
    expect(vault.open(7, a)).toEqual(KEY);
    expect(() => vault.open(8, a)).toThrow(VaultOpenError);
    const tampered = { nonce: a.nonce, ciphertext: Buffer.from(a.ciphertext) };
    tampered.ciphertext[0] ^= 1;
    expect(() => vault.open(7, tampered)).toThrow(/does not open/);
    expect(() => new Vault(Buffer.alloc(32, 1), 'other').open(7, a)).toThrow(VaultOpenError);
    expect(() => vault.seal(7, KEY.subarray(0, 15))).toThrow('meter key: expected 16 bytes, got 15');
  });

  test('KEY_MASTER: 64 hex digits; a bad value is an env error naming it, without echoing it', () => {
    const bad = parseEnv({ KEY_MASTER: 'cd'.repeat(31) });
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.errors.join('\n')).toMatch(/^KEY_MASTER: expected 64 hex digits \(32 bytes\), got \(hidden\)$/);
      expect(bad.errors.join('\n')).not.toContain('cdcd');
    }
    const dir = tempDir();
    const vault = openVault({ keyMaster: MASTER, dataDir: dir, storedKeys: none });
    expect(vault.source).toBe('KEY_MASTER');
    expect(() => statSync(join(dir, 'master.key'))).toThrow(); // no file when the env gives the key
  });

  test('without KEY_MASTER a key file is made with mode 0600 and used again', () => {
    const dir = tempDir();
    const first = openVault({ dataDir: dir, storedKeys: none });
    const file = join(dir, 'master.key');
    if (process.platform !== 'win32') expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
    const sealed = first.seal(1, KEY);
    expect(openVault({ dataDir: dir, storedKeys: () => 1 }).open(1, sealed)).toEqual(KEY);
  });

  test.skipIf(process.platform === 'win32')('refuses a key file others may read, of the wrong length, or a missing one when keys exist', () => {
    const dir = tempDir();
    openVault({ dataDir: dir, storedKeys: none });
    const file = join(dir, 'master.key');
    chmodSync(file, 0o644);
    expect(() => openVault({ dataDir: dir, storedKeys: none })).toThrow(VaultSetupError);
    expect(() => openVault({ dataDir: dir, storedKeys: none })).toThrow(/chmod 600/);
    writeFileSync(file, 'abcd\n', { mode: 0o600 });
    chmodSync(file, 0o600);
    expect(() => openVault({ dataDir: dir, storedKeys: none })).toThrow(/expected 64 hex digits, found 4 characters/);
    unlinkSync(file);
    expect(() => openVault({ dataDir: dir, storedKeys: () => 3 })).toThrow(/missing, but the database holds 3 encrypted meter keys/);
  });

  test('the server refuses to start with a master key that does not open the stored keys', async () => {
    const dir = tempDir();
    const server = await makeTestServer(dir, { KEY_MASTER: MASTER });
    const cookie = await server.as('administrator');
    const meter = await server.app.request('/api/meters', {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ manufacturer: 'KAM', serial: '1' })
    });
    const id = ((await meter.json()) as { meter: { id: number } }).meter.id;
    await server.app.request(`/api/meters/${id}/key`, {
      method: 'PUT',
      headers: { cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ key: '00'.repeat(16) })
    });
    server.close();
    await expect(makeTestServer(dir, { KEY_MASTER: 'cd'.repeat(32) })).rejects.toThrow(/does not open the stored meter keys/);
    const again = await makeTestServer(dir, { KEY_MASTER: MASTER });
    again.close();
  });
});
