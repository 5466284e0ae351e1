// The KMP client on an opened optical head (contract A, hardware/devices/kmp-head.ts): the
// session's OpenHead. timeScale: how much faster a simulated head runs (sim/control.ts simKmpSpeed).

import { KmpClient, transportKmpLink } from '$lib/hardware/devices/kmp-head';
import type { Transport } from '$lib/hardware/transport';
import type { OpenHead } from './session.svelte';

export function openOpticalHead(t: Transport, o: { timeScale?: number; retries?: number } = {}): OpenHead {
  const link = transportKmpLink(t);
  return {
    client: new KmpClient(link, o),
    release: () => void link.release().catch(() => undefined)
  };
}
