// Key vault (M17, architecture.md decision 5): per-meter AES-128 keys are stored encrypted with
// AES-256-GCM under one master key. The master key comes from KEY_MASTER (64 hex digits) or from
// <DATA_DIR>/master.key, generated with mode 0600 on first start. Every key gets a fresh 12-byte
// nonce and is bound to its meter by the additional authenticated data, so a ciphertext copied to
// another meter's row does not open. Nothing here ever puts a key into a message.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const MASTER_KEY_FILE = 'master.key';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** Thrown when the vault cannot be set up; the server stops with this message. */
export class VaultSetupError extends Error {}

/** A stored key that does not open: another master key, or a row changed or moved. */
export class VaultOpenError extends Error {}

export interface Sealed {
  nonce: Buffer;
  /** The encrypted key followed by the 16-byte GCM tag. */
  ciphertext: Buffer;
}

export class Vault {
  readonly #master: Buffer;
  /** Where the master key came from, for messages: 'KEY_MASTER' or the key file's path. */
  readonly source: string;

  constructor(master: Uint8Array, source: string) {
    if (master.length !== 32) throw new RangeError(`master key: expected 32 bytes, got ${master.length}`);
    this.#master = Buffer.from(master);
    this.source = source;
  }

  seal(meterId: number, key: Uint8Array): Sealed {
    if (key.length !== 16) throw new RangeError(`meter key: expected 16 bytes, got ${key.length}`);
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#master, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad(meterId));
    const ciphertext = Buffer.concat([cipher.update(key), cipher.final(), cipher.getAuthTag()]);
    return { nonce, ciphertext };
  }

  open(meterId: number, sealed: Sealed): Uint8Array {
    const { nonce, ciphertext } = sealed;
    if (nonce.length !== NONCE_BYTES || ciphertext.length !== 16 + TAG_BYTES) {
      throw new VaultOpenError(`stored key of meter ${meterId}: unexpected length`);
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#master, nonce, { authTagLength: TAG_BYTES });
      decipher.setAAD(aad(meterId));
      decipher.setAuthTag(ciphertext.subarray(16));
      return new Uint8Array(Buffer.concat([decipher.update(ciphertext.subarray(0, 16)), decipher.final()]));
    } catch {
      throw new VaultOpenError(
        `stored key of meter ${meterId} does not open: the master key (${this.source}) differs from the one it was stored with, or the row was changed`
      );
    }
  }
}

function aad(meterId: number): Buffer {
  return Buffer.from(`readout meter-key v1 meter ${meterId}`, 'utf8');
}

export interface VaultOptions {
  /** KEY_MASTER as validated by env.ts: 64 hex digits, or undefined. */
  keyMaster?: string;
  dataDir: string;
  /** How many encrypted keys the database holds: a missing key file is not regenerated then. */
  storedKeys: () => number;
}

/** The master key from KEY_MASTER, or the key file (created on first start with mode 0600). */
export function openVault(opts: VaultOptions): Vault {
  if (opts.keyMaster) {
    if (!/^[0-9a-fA-F]{64}$/.test(opts.keyMaster)) {
      throw new VaultSetupError('KEY_MASTER: expected 64 hex digits (32 bytes)');
    }
    return new Vault(Buffer.from(opts.keyMaster, 'hex'), 'KEY_MASTER');
  }
  const file = join(opts.dataDir, MASTER_KEY_FILE);
  if (!existsSync(file)) {
    const stored = opts.storedKeys();
    if (stored > 0) {
      throw new VaultSetupError(
        `The master key file ${file} is missing, but the database holds ${stored} encrypted meter keys. ` +
          'Restore the file from a backup or set KEY_MASTER; a new master key could not open them.'
      );
    }
    const key = randomBytes(32);
    const fd = openSync(file, 'wx', 0o600);
    try {
      writeSync(fd, key.toString('hex') + '\n');
    } finally {
      closeSync(fd);
    }
    return new Vault(key, file);
  }
  if (process.platform !== 'win32') {
    const mode = statSync(file).mode & 0o777;
    if (mode & 0o077) {
      throw new VaultSetupError(
        `The master key file ${file} may be read by others (mode ${mode.toString(8).padStart(4, '0')}); ` +
          `make it private with: chmod 600 ${file}`
      );
    }
  }
  const text = readFileSync(file, 'utf8').trim();
  if (!/^[0-9a-fA-F]{64}$/.test(text)) {
    throw new VaultSetupError(
      `The master key file ${file} does not hold a master key: expected 64 hex digits, found ${text.length} characters`
    );
  }
  return new Vault(Buffer.from(text, 'hex'), file);
}
