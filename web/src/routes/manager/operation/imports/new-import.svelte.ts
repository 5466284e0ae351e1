import { ApiError } from '$lib/api/client';
import {
  bestSaved,
  detectSeparator,
  explain,
  guessMapping,
  headerOf,
  importCsv,
  importKem,
  listMappings,
  saveMapping,
  type CsvKind,
  type CsvReport,
  type Fields,
  type Kind,
  type KemReport,
  type Mode,
  type SavedMapping,
  type Separator
} from './imports-api';

// The "New import" panel's state: the chosen file, its kind and separator, the column mapping
// (from a saved mapping or guessed from the names), the dry run's report and the import itself.

export type Report = { kind: 'csv'; value: CsvReport } | { kind: 'kem'; value: KemReport };

export class NewImport {
  fields = $state<Fields | null>(null);
  fileName = $state<string | null>(null);
  /** The CSV as text, or the key file as base64. */
  content = $state<string | null>(null);
  kind = $state<Kind>('installations');
  separator = $state<Separator>(',');
  mapping = $state<Record<string, string | null>>({});
  saved = $state<SavedMapping[]>([]);
  savedId = $state<number | null>(null);
  password = $state('');
  mode = $state<Mode>('all-or-nothing');
  /** The report of the last check (dry run) or import, and whether it was the import. */
  report = $state<Report | null>(null);
  imported = $state(false);
  busy = $state<'reading' | 'checking' | 'importing' | null>(null);
  error = $state<string | null>(null);
  /** Problems with the password (KEM) shown beside its field. */
  passwordError = $state<string | null>(null);

  header = $derived(this.content !== null && this.kind !== 'kem' ? headerOf(this.content, this.separator) : []);
  kindFields = $derived(this.fields && this.kind !== 'kem' ? this.fields.kinds[this.kind] : []);
  /** Required fields no column is mapped to: the check would only say the same. */
  unmapped = $derived(this.kindFields.filter((f) => f.required && !Object.values(this.mapping).includes(f.name)).map((f) => f.name));
  /** Another separator splits the header into columns while this one gives one: likely the wrong one. */
  separatorHint = $derived.by(() => {
    if (this.content === null || this.kind === 'kem' || this.header.length > 1) return null;
    const other = detectSeparator(this.content);
    return other !== this.separator ? other : null;
  });

  /** Reads a dropped or chosen file; refuses one over the size limit before reading it. */
  async choose(file: File): Promise<void> {
    this.reset();
    const limit = this.kind === 'kem' ? this.fields?.maxKemBytes : this.fields?.maxCsvBytes;
    if (limit && file.size > limit) {
      this.error = `${file.name} has ${(file.size / 1024 / 1024).toFixed(1)} MB; an import takes at most ${Math.round(limit / 1024 / 1024)} MB. Split the file.`;
      return;
    }
    if (/\.kem2?$/i.test(file.name)) this.kind = 'kem';
    this.busy = 'reading';
    try {
      if (this.kind === 'kem') {
        const bytes = new Uint8Array(await file.arrayBuffer());
        let binary = '';
        for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
        this.content = btoa(binary);
      } else {
        this.content = await file.text();
        this.separator = detectSeparator(this.content);
      }
      this.fileName = file.name;
      await this.preselect();
    } catch (e) {
      this.error = `${file.name} cannot be read: ${e instanceof Error ? e.message : String(e)}`;
    } finally {
      this.busy = null;
    }
  }

  reset(): void {
    this.fileName = this.content = null;
    this.report = null;
    this.imported = false;
    this.error = this.passwordError = null;
    this.mapping = {};
    this.savedId = null;
  }

  /** After a new file or kind: a saved mapping that fits the header, else names matched. */
  async preselect(): Promise<void> {
    this.report = null;
    this.imported = false;
    if (this.kind === 'kem' || this.content === null) return;
    try {
      this.saved = await listMappings(this.kind);
    } catch (e) {
      this.saved = [];
      this.error = `Saved mappings could not be loaded (${explain(e)}); the columns are matched by name.`;
    }
    const best = bestSaved(this.header, this.saved);
    if (best) this.apply(best);
    else {
      this.savedId = null;
      this.mapping = guessMapping(this.header, this.kindFields);
    }
  }

  /** Another separator gives other columns: match them again. */
  async setSeparator(separator: Separator): Promise<void> {
    this.separator = separator;
    await this.preselect();
  }

  apply(m: SavedMapping): void {
    this.savedId = m.id;
    if (m.separator !== this.separator && headerOf(this.content ?? '', m.separator).length > 1) this.separator = m.separator;
    this.mapping = Object.fromEntries(this.header.map((h) => [h, m.mapping[h] ?? null]));
    this.report = null;
  }

  setField(column: string, field: string | null): void {
    this.mapping = { ...this.mapping, [column]: field };
    this.report = null;
  }

  async saveAs(name: string): Promise<string> {
    const existing = this.saved.find((m) => m.name === name);
    const body = { name, kind: this.kind as CsvKind, separator: this.separator, mapping: { ...this.mapping } };
    const { mapping } = await saveMapping(body, existing?.id);
    this.saved = [...this.saved.filter((m) => m.id !== mapping.id), mapping].sort((a, b) => a.name.localeCompare(b.name));
    this.savedId = mapping.id;
    return existing ? `Mapping "${name}" updated.` : `Mapping "${name}" saved.`;
  }

  check = () => this.#send(true);
  run = () => this.#send(false);

  async #send(dryRun: boolean): Promise<void> {
    if (this.content === null || this.fileName === null) return;
    this.busy = dryRun ? 'checking' : 'importing';
    this.error = this.passwordError = null;
    try {
      if (this.kind === 'kem') {
        const value = await importKem({ file: this.content, password: this.password, mode: this.mode, dryRun, fileName: this.fileName });
        this.report = { kind: 'kem', value };
      } else {
        const body = { kind: this.kind, separator: this.separator, mapping: { ...this.mapping }, mode: this.mode, dryRun, fileName: this.fileName, csv: this.content };
        this.report = { kind: 'csv', value: await importCsv(body) };
      }
      this.imported = !dryRun;
    } catch (e) {
      const body = e instanceof ApiError ? (e.body as Record<string, unknown> | null) : null;
      if (body && typeof body.rows === 'number') {
        this.report = { kind: 'csv', value: body as unknown as CsvReport }; // all-or-nothing refused the file: show its lines
        this.imported = !dryRun;
      } else if (body && typeof body.meters === 'number') {
        this.report = { kind: 'kem', value: body as unknown as KemReport };
        this.imported = !dryRun;
      }
      if (body?.reason === 'wrong-password' || body?.reason === 'password-too-long') this.passwordError = explain(e);
      else this.error = explain(e);
    } finally {
      this.busy = null;
    }
  }
}
