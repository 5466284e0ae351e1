import { cancelRun, explain, getRun, type MbusRun } from '../mbus-api';

// Follows one scan or read run on the server (GET /api/mbus/runs/:id) until it is no longer
// running: a poll every `everyMs`, each request given at most `timeoutMs`; a few failed polls in
// a row end the watch with a message instead of polling forever. stop() ends it at once (leaving
// the page); the run itself goes on on the server unless cancelled.

const FAILED_POLLS = 5;

export interface RunWatchOptions {
  everyMs?: number;
  timeoutMs?: number;
  /** Each new state of the run, the first one included. */
  onupdate?: (run: MbusRun) => void;
  /** Once, when the run is no longer running. */
  ondone?: (run: MbusRun) => void;
}

export class RunWatch {
  run = $state<MbusRun | null>(null);
  error = $state<string | null>(null);
  running = $derived(this.run?.state === 'running');
  cancelling = $state(false);
  #controller: AbortController | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;

  readonly #o: RunWatchOptions;

  constructor(o: RunWatchOptions = {}) {
    this.#o = o;
  }

  /** Watch `run` (just started, or found running when the page opened). */
  follow(run: MbusRun): void {
    this.stop();
    this.run = run;
    this.error = null;
    this.#controller = new AbortController();
    this.#o.onupdate?.(run);
    if (run.state === 'running') this.#schedule(this.#controller.signal, 0);
    else this.#o.ondone?.(run);
  }

  /** The server's newer word on the run (e.g. the answer to a cancel). */
  update(run: MbusRun): void {
    if (this.run && run.id !== this.run.id) return;
    this.run = run;
  }

  /** Asks the server to cancel the run; its answer updates `run`. Rejects as the API call does. */
  async cancel(): Promise<void> {
    if (!this.run) return;
    this.cancelling = true;
    try {
      this.update((await cancelRun(this.run.id)).run);
    } finally {
      this.cancelling = false;
    }
  }

  stop(): void {
    this.#controller?.abort();
    this.#controller = null;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #schedule(signal: AbortSignal, failures: number): void {
    this.#timer = setTimeout(() => void this.#poll(signal, failures), this.#o.everyMs ?? 400);
  }

  async #poll(signal: AbortSignal, failures: number): Promise<void> {
    if (signal.aborted || !this.run) return;
    try {
      const { run } = await getRun(this.run.id, AbortSignal.any([signal, AbortSignal.timeout(this.#o.timeoutMs ?? 10_000)]));
      if (signal.aborted) return;
      this.run = run;
      this.error = null;
      this.#o.onupdate?.(run);
      if (run.state === 'running') this.#schedule(signal, 0);
      else this.#o.ondone?.(run);
    } catch (e) {
      if (signal.aborted) return;
      const why = e instanceof DOMException && e.name === 'TimeoutError' ? `the server did not answer within ${(this.#o.timeoutMs ?? 10_000) / 1000} s` : explain(e);
      if (failures + 1 >= FAILED_POLLS) {
        this.error = `Lost track of the run after ${FAILED_POLLS} failed looks (${why}). Reload the page to see how it ended.`;
        return;
      }
      this.error = `Looking again: ${why}`;
      this.#schedule(signal, failures + 1);
    }
  }
}
