// One byte pipe for every way the browser reaches hardware (architecture.md decision 10,
// style.md §4). Adapters: web-serial.ts, web-bluetooth.ts, replay.ts. Devices sit on top.

/** Why a transport could not open or went away; the UI shows one help text per reason (support.ts). */
export type TransportFailure =
  | 'unsupported' // this browser has no such API
  | 'insecure-context' // page not served over https / localhost (SecurityError outside a secure context)
  | 'permission-denied' // blocked by the user, a site setting, a policy or a missing tap (NotAllowedError, SecurityError on https)
  | 'bluetooth-off' // adapter off or missing
  | 'nothing-picked' // user closed the chooser (NotFoundError): normal, not a crash
  | 'busy' // port held by another program or tab
  | 'lost' // device unplugged / out of range after it was open
  | 'io'; // any other read/write failure, or a device that does not answer

export class TransportError extends Error {
  override readonly name = 'TransportError';
  constructor(
    readonly reason: TransportFailure,
    msg: string,
    o?: ErrorOptions
  ) {
    super(msg, o);
  }
}

export interface Transport {
  /** What the user picked, for the UI: "CP210x USB serial", "IR head 4C:1F:…". */
  readonly label: string;
  /** Raw chunks as they arrive; framing is downstream. Closes when the transport closes, errors with TransportError('lost') when it goes away. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Rejects only with TransportError. */
  open(signal?: AbortSignal): Promise<void>;
  /** Queued: concurrent calls go out one after the other, never interleaved. Rejects only with TransportError. */
  write(bytes: Uint8Array): Promise<void>;
  /** Idempotent; never rejects. */
  close(): Promise<void>;
}

export function isTransportError(e: unknown): e is TransportError {
  return e instanceof TransportError;
}

/** What a DOMException means in the step where it happened (style.md §3: mapped at the adapter). */
export type TransportStep = 'request' | 'open' | 'read' | 'write';

/**
 * Turn whatever a browser API threw into a TransportError. NotFoundError → nothing-picked,
 * SecurityError → insecure-context outside a secure context, else permission-denied (on https it
 * means a blocked site permission, a permissions policy, a service not in optionalServices or a
 * chooser without a user gesture), NotAllowedError → permission-denied,
 * NetworkError/NotReadableError/InvalidStateError → busy while opening and lost afterwards; a
 * TransportError passes through unchanged.
 */
export function toTransportError(e: unknown, step: TransportStep, what: string): TransportError {
  if (e instanceof TransportError) return e;
  const name = e instanceof Error || isDomLike(e) ? (e as { name: string }).name : '';
  const detail = e instanceof Error || isDomLike(e) ? (e as { message: string }).message : String(e);
  const msg = `${what}: ${step} failed${detail ? `: ${detail}` : ''}`;
  const early = step === 'request' || step === 'open';
  switch (name) {
    case 'NotFoundError':
      // Chooser dismissed; on Bluetooth also "no services matching" after connect.
      return new TransportError(step === 'request' ? 'nothing-picked' : 'lost', msg, { cause: e });
    case 'SecurityError':
      return new TransportError(globalThis.isSecureContext === true ? 'permission-denied' : 'insecure-context', msg, { cause: e });
    case 'NotSupportedError':
      return new TransportError('unsupported', msg, { cause: e });
    case 'NetworkError':
    case 'NotReadableError':
    case 'InvalidStateError':
      return new TransportError(early ? 'busy' : 'lost', msg, { cause: e });
    case 'NotAllowedError':
      return new TransportError('permission-denied', msg, { cause: e });
    default:
      return new TransportError('io', msg, { cause: e });
  }
}

function isDomLike(e: unknown): boolean {
  return typeof e === 'object' && e !== null && typeof (e as { name?: unknown }).name === 'string';
}

/** Serialises writes: each runs after the previous settled, so bytes never interleave. */
export class WriteQueue {
  #tail: Promise<unknown> = Promise.resolve();
  run(job: () => Promise<void>): Promise<void> {
    const next = this.#tail.then(job, job);
    this.#tail = next.catch(() => undefined);
    return next;
  }
}

/** Resources acquired while opening, released in reverse order (style.md §4 cleanup stack). */
export class CleanupStack {
  #jobs: Array<() => unknown> = [];
  push(job: () => unknown): void {
    this.#jobs.push(job);
  }
  async run(): Promise<void> {
    while (this.#jobs.length > 0) {
      const job = this.#jobs.pop()!;
      try {
        await job();
      } catch {
        // Cleanup failures are not actionable: the resource is gone either way.
      }
    }
  }
}
