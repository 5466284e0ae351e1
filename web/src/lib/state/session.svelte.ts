import { ApiError, request } from '$lib/api/client';
import { deleteMeta, getMeta, setMeta } from '$lib/db';

export type Role = 'user' | 'superuser' | 'administrator';

export interface User {
  id: number;
  tenantId: number;
  tenantName: string;
  /** The utility's time zone (absent in a user cached by an older version). */
  timeZone?: string;
  login: string;
  displayName: string;
  role: Role;
}

const CACHE_KEY = 'session.user';

/** Who is signed in. Offline, the last confirmed user is kept so the field app works all day
 *  without network; the server still checks the cookie on every request. */
class Session {
  user = $state<User | null>(null);
  status = $state<'unknown' | 'signed-in' | 'signed-out'>('unknown');
  /** The last check could not reach the server. */
  offline = $state(false);
  signedIn = $derived(this.status === 'signed-in');

  async refresh(): Promise<void> {
    try {
      const { user } = await request<{ user: User }>('GET', '/auth/me');
      this.#set(user);
      this.offline = false;
      await setMeta(CACHE_KEY, user);
    } catch (e) {
      if (e instanceof ApiError && e.reason === 'offline') {
        this.offline = true;
        const cached = await getMeta<User>(CACHE_KEY);
        this.#set(cached ?? null);
      } else {
        this.#set(null);
        await deleteMeta(CACHE_KEY);
      }
    }
  }

  /** Throws ApiError with the server's message ("Wrong user name or password.") on failure. */
  async signIn(login: string, password: string): Promise<User> {
    const { user } = await request<{ user: User }>('POST', '/auth/login', { login, password });
    this.#set(user);
    this.offline = false;
    await setMeta(CACHE_KEY, user);
    return user;
  }

  async signOut(): Promise<void> {
    await request('POST', '/auth/logout');
    await deleteMeta(CACHE_KEY);
    this.#set(null);
  }

  #set(user: User | null) {
    this.user = user;
    this.status = user ? 'signed-in' : 'signed-out';
  }
}

export const session = new Session();
