import { ApiError } from '$lib/api/client';
import { explain, listUsers, type User } from './users-api';

// The Users page's state: a search, whether disabled people are shown, and one page of people.

export const PAGE_SIZE = 50;

export class UserList {
  q = $state('');
  includeDisabled = $state(true);
  offset = $state(0);
  users = $state<User[] | null>(null);
  total = $state(0);
  error = $state<string | null>(null);
  /** The role may not manage users: the page shows only the reason. */
  forbidden = $state(false);
  loading = $state(false);
  #generation = 0;

  async load(): Promise<void> {
    const generation = ++this.#generation; // typing fast: the last search wins
    this.loading = true;
    try {
      const page = await listUsers(this.q, this.includeDisabled, this.offset, PAGE_SIZE);
      if (generation !== this.#generation) return;
      this.users = page.users;
      this.total = page.total;
      this.error = null;
    } catch (e) {
      if (generation !== this.#generation) return;
      this.error = explain(e);
      this.forbidden = e instanceof ApiError && e.reason === 'forbidden';
    } finally {
      if (generation === this.#generation) this.loading = false;
    }
  }

  search(q: string): Promise<void> {
    this.q = q;
    this.offset = 0;
    return this.load();
  }

  turn(offset: number): Promise<void> {
    this.offset = Math.max(0, offset);
    return this.load();
  }
}
