import { failureText } from '$lib/api/client';
import { changeJob, deleteJob, jobRuns, listJobs, runJob, type Job, type JobRun } from './exports-api';

// The export jobs' state: the list with next run and last status, polled every 3 s while the
// page is open (a scheduled run shows up without a reload), and the history of the open job.

const FORBIDDEN = 'Your role may not change export jobs (needs "settings.manage"): ask an administrator.';

export class JobList {
  jobs = $state<Job[] | null>(null);
  timeZone = $state('');
  error = $state<string | null>(null);
  notice = $state<string | null>(null);
  /** The job whose history is open, and that history. */
  openId = $state<number | null>(null);
  runs = $state<JobRun[] | null>(null);
  running = $state<Set<number>>(new Set());
  #timer: ReturnType<typeof setInterval> | null = null;

  async load(): Promise<void> {
    try {
      const r = await listJobs();
      this.jobs = r.jobs;
      this.timeZone = r.timeZone;
      this.error = null;
      if (this.openId !== null) this.runs = await jobRuns(this.openId);
    } catch (e) {
      this.error = failureText(e, 'Your role may not see export jobs (needs "export").');
    }
  }

  poll(): () => void {
    this.#timer = setInterval(() => void this.load(), 3000);
    return () => {
      if (this.#timer) clearInterval(this.#timer);
    };
  }

  async toggleHistory(id: number): Promise<void> {
    if (this.openId === id) {
      this.openId = null;
      this.runs = null;
      return;
    }
    this.openId = id;
    this.runs = null;
    try {
      this.runs = await jobRuns(id);
    } catch (e) {
      this.error = failureText(e, FORBIDDEN);
    }
  }

  async runNow(job: Job): Promise<void> {
    this.running = new Set([...this.running, job.id]);
    try {
      const run = await runJob(job.id);
      this.notice = run.status === 'ok' ? `"${job.name}" ran: ${run.message}.` : `"${job.name}" failed: ${run.message}`;
      this.error = null;
    } catch (e) {
      this.error = failureText(e, 'Your role may not run exports (needs "export").');
    } finally {
      this.running = new Set([...this.running].filter((i) => i !== job.id));
      await this.load();
    }
  }

  async setEnabled(job: Job, enabled: boolean): Promise<void> {
    try {
      await changeJob(job.id, { enabled });
      this.notice = `"${job.name}" ${enabled ? 'enabled' : 'disabled'}.`;
      this.error = null;
    } catch (e) {
      this.error = failureText(e, FORBIDDEN);
    }
    await this.load();
  }

  /** Throws the sentence for the confirmation dialog. */
  async remove(job: Job): Promise<void> {
    try {
      await deleteJob(job.id);
    } catch (e) {
      throw new Error(failureText(e, FORBIDDEN));
    }
    if (this.openId === job.id) this.openId = null;
    this.notice = `Deleted the job "${job.name}".`;
    await this.load();
  }
}
