import { z } from 'zod';

// The server's whole configuration, from the environment. A bad value stops the start
// with a message naming the variable, what it expects and what it got.
const port = z.coerce
  .number({ error: 'expected a number' })
  .int('expected a whole number')
  .min(0, 'expected a port from 1 to 65535 (or 0 for any free port)')
  .max(65535, 'expected a port from 1 to 65535 (or 0 for any free port)');

const EnvSchema = z.object({
  PORT: port.default(8080),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATA_DIR: z.string().min(1, 'expected a folder path').default('./data'),
  /** Password for the first administrator, used only when the database is created. */
  ADMIN_PASSWORD: z.string().min(10, 'expected at least 10 characters').optional(),
  ADMIN_LOGIN: z
    .string()
    .regex(/^[a-z0-9._@-]{3,64}$/i, 'expected 3-64 letters, digits or . _ @ -')
    .default('admin'),
  /** Trust X-Forwarded-Proto from a reverse proxy (cookies get Secure behind https). */
  TRUST_PROXY: z.enum(['0', '1', 'true', 'false']).default('0').transform((v) => v === '1' || v === 'true'),
  SESSION_HOURS: z.coerce.number().int().min(1).max(24 * 90).default(12),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  /** Master key of the meter-key vault (64 hex digits); without it <DATA_DIR>/master.key is used. */
  KEY_MASTER: z.string().regex(/^[0-9a-fA-F]{64}$/, 'expected 64 hex digits (32 bytes)').optional(),
  /** Outgoing mail (consumer reports, scheduled exports, notifications): smtp://user:pass@host:587 or smtps://…:465. */
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\/[^\s/]+(:\d+)?\/?(\?\S*)?$/i, 'expected smtp://[user:password@]host[:port] or smtps://…')
    .optional(),
  /** SMS gateway for notifications (M9): POST {"to","text"} as JSON to this URL. */
  SMS_URL: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }).optional(),
  /** Sent to the SMS gateway as "Authorization: Bearer <token>". */
  SMS_TOKEN: z.string().min(1).max(1000).optional(),
  /** First delay before a failed notification is tried again (doubles per attempt, 3 attempts). */
  NOTIFY_RETRY_MS: z.coerce.number({ error: 'expected milliseconds' }).int('expected whole milliseconds').min(1).max(86_400_000).default(120_000),
  /** The sender of mail the server sends. */
  MAIL_FROM: z.string().min(3).max(200).default('Readout <readout@localhost>'),
  /** Fill a new data folder with the demo utility's meters and 13 months of readings (first start only). */
  DEMO: z
    .enum(['0', '1', 'true', 'false'], { error: 'expected 1 (demo data on first start) or 0 (none)' })
    .default('1')
    .transform((v) => v === '1' || v === 'true')
});

export type Env = z.infer<typeof EnvSchema>;

export type EnvResult = { ok: true; env: Env } | { ok: false; errors: string[] };

/** Parse without side effects, so tests can check every message. */
export function parseEnv(source: Record<string, string | undefined>): EnvResult {
  // An empty variable counts as unset, as shells and .env files tend to produce them.
  const cleaned: Record<string, string> = {};
  for (const key of Object.keys(EnvSchema.shape)) {
    const value = source[key];
    if (value !== undefined && value !== '') cleaned[key] = value;
  }
  const result = EnvSchema.safeParse(cleaned);
  if (result.success) return { ok: true, env: result.data };
  const errors = result.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? '?');
    const got = name === 'ADMIN_PASSWORD' || name === 'KEY_MASTER' || name === 'SMTP_URL' || name === 'SMS_URL' || name === 'SMS_TOKEN' ? '(hidden)' : JSON.stringify(cleaned[name]);
    return `${name}: ${issue.message}, got ${got}`;
  });
  return { ok: false, errors };
}

/** Parse process.env or exit with status 2 and one line per bad variable. */
export function loadEnv(): Env {
  const result = parseEnv(process.env);
  if (result.ok) return result.env;
  process.stderr.write(`Readout cannot start: invalid environment\n  ${result.errors.join('\n  ')}\n`);
  process.exit(2);
}
