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
      if (generation === this.#generation) this.error = explain(e);
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
