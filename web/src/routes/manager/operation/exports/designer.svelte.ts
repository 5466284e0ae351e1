import { failureText } from '$lib/api/client';
import {
  changeFormat,
  createFormat,
  deleteFormat,
  fieldErrors,
  getFormat,
  listFields,
  listFormats,
  listGroups,
  NEW_FORMAT,
  preview,
  type Field,
  type Format,
  type FormatSummary,
  type Group,
  type Preview,
  type Selection
} from './exports-api';

// The export designer's state: the catalogue of fields, the saved formats, the format being
// edited (with a snapshot to tell unsaved changes), and its live preview, asked for 300 ms after
// the last change (a newer request aborts the older one).

const FORBIDDEN_SAVE = 'Your role may not save export formats (needs "settings.manage"): ask an administrator.';
const FORBIDDEN_RUN = 'Your role may not run exports (needs "export"): ask an administrator.';

/** A fixed-width column's width when it is added, by the field's type. */
const WIDTH: Record<Field['type'], number> = { text: 20, number: 12, integer: 10, instant: 16 };

/** The start of today on this computer's clock: a cut-off most billing runs use. */
export function startOfToday(): number {
  const d = new Date();
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

const copy = (f: Format): Format => JSON.parse(JSON.stringify(f)) as Format;

export class Designer {
  fields = $state<Field[]>([]);
  formats = $state<FormatSummary[] | null>(null);
  groups = $state<Group[]>([]);
  /** The saved format being edited, or null for a new one. */
  id = $state<number | null>(null);
  name = $state('');
  savedName = $state('');
  format = $state<Format>(copy(NEW_FORMAT));
  #snapshot = $state(JSON.stringify(NEW_FORMAT));
  /** Unsaved changes: the definition, or the name of a saved format (a rename). */
  dirty = $derived(JSON.stringify(this.format) !== this.#snapshot || (this.id !== null && this.name.trim() !== this.savedName));

  selection = $state<Selection>({ kind: 'all' });
  at = $state(startOfToday());

  preview = $state<Preview | null>(null);
  previewError = $state<string | null>(null);
  previewBusy = $state(false);

  error = $state<string | null>(null);
  notice = $state<string | null>(null);
  /** Field messages of the last refused save ("columns.2.width" → message). */
  invalid = $state<Record<string, string>>({});
  busy = $state(false);

  #timer: ReturnType<typeof setTimeout> | null = null;
  #inflight: AbortController | null = null;

  byId = $derived(new Map(this.fields.map((f) => [f.id, f])));

  async load(): Promise<void> {
    try {
      const [fields, formats, groups] = await Promise.all([listFields(), listFormats(), listGroups().catch(() => [] as Group[])]);
      this.fields = fields;
      this.formats = formats;
      this.groups = groups;
      this.error = null;
    } catch (e) {
      this.error = failureText(e, FORBIDDEN_RUN);
    }
  }

  async reloadFormats(): Promise<void> {
    this.formats = await listFormats();
  }

  async open(id: number): Promise<void> {
    this.busy = true;
    try {
      const saved = await getFormat(id);
      this.#take(saved.id, saved.name, saved.format);
      this.notice = null;
      this.error = null;
    } catch (e) {
      this.error = failureText(e, FORBIDDEN_RUN);
    } finally {
      this.busy = false;
    }
  }

  startNew(): void {
    this.#take(null, '', copy(NEW_FORMAT));
    this.notice = null;
  }

  #take(id: number | null, name: string, format: Format): void {
    this.id = id;
    this.name = name;
    this.savedName = name;
    this.format = copy(format);
    this.#snapshot = JSON.stringify(this.format);
    this.invalid = {};
  }

  /** Saves the open format, or as a new one named `asName`. */
  async save(asName?: string): Promise<boolean> {
    this.busy = true;
    this.invalid = {};
    try {
      const format = copy(this.format);
      const name = this.name.trim();
      const saved =
        asName !== undefined || this.id === null
          ? await createFormat(asName ?? name, format)
          : await changeFormat(this.id, { format, ...(name !== this.savedName ? { name } : {}) });
      this.#take(saved.id, saved.name, saved.format);
      this.notice = `Saved "${saved.name}".`;
      this.error = null;
      await this.reloadFormats();
      return true;
    } catch (e) {
      this.invalid = fieldErrors(e);
      this.error = failureText(e, FORBIDDEN_SAVE);
      return false;
    } finally {
      this.busy = false;
    }
  }

  /** Deletes the open format; throws the sentence to show in the confirmation. */
  async remove(): Promise<void> {
    if (this.id === null) return;
    try {
      await deleteFormat(this.id);
    } catch (e) {
      throw new Error(failureText(e, FORBIDDEN_SAVE));
    }
    const name = this.name;
    this.startNew();
    this.notice = `Deleted "${name}".`;
    await this.reloadFormats();
  }

  addColumn(fieldId: string): void {
    const field = this.byId.get(fieldId);
    if (!field) return;
    this.format.columns.push({ field: field.id, header: field.label, ...(this.format.kind === 'fixed' ? { width: WIDTH[field.type] } : {}) });
  }

  /** Moves column i by delta (−1 up, +1 down); returns its new index. */
  move(i: number, delta: number): number {
    const j = i + delta;
    const cols = this.format.columns;
    if (j < 0 || j >= cols.length) return i;
    [cols[i], cols[j]] = [cols[j], cols[i]];
    return j;
  }

  removeColumn(i: number): void {
    this.format.columns.splice(i, 1);
  }

  /** Fixed width needs a width per column: give the missing ones a start by type. */
  setKind(kind: Format['kind']): void {
    this.format.kind = kind;
    if (kind === 'fixed') for (const c of this.format.columns) c.width ??= WIDTH[this.byId.get(c.field)?.type ?? 'text'];
  }

  /** Asks for a preview 300 ms after the last change. */
  requestPreview(format: Format, selection: Selection, at: number): void {
    if (this.#timer) clearTimeout(this.#timer);
    if (format.columns.length === 0) {
      this.#inflight?.abort();
      this.preview = null;
      this.previewError = null;
      return;
    }
    this.#timer = setTimeout(() => void this.#fetchPreview(format, selection, at), 300);
  }

  async #fetchPreview(format: Format, selection: Selection, at: number): Promise<void> {
    this.#inflight?.abort();
    const ctl = (this.#inflight = new AbortController());
    this.previewBusy = true;
    try {
      const p = await preview(format, selection, at, ctl.signal);
      if (ctl.signal.aborted) return;
      this.preview = p;
      this.previewError = null;
    } catch (e) {
      if (ctl.signal.aborted) return;
      this.preview = null;
      this.previewError = failureText(e, FORBIDDEN_RUN);
    } finally {
      if (!ctl.signal.aborted) this.previewBusy = false;
    }
  }

  dispose(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#inflight?.abort();
  }
}
