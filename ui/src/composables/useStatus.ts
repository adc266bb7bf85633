/** The terminal's store, settings and sync state, shown in the status bar. */
import { ref } from 'vue';

import type { TerminalStatus } from '../bindings/TerminalStatus';
import * as gateway from '../gateway';

const status = ref<TerminalStatus | null>(null);
let readyAnnounced = false;

export function useStatus() {
  return {
    status,
    async refresh(): Promise<TerminalStatus> {
      const fresh = await gateway.status();
      status.value = fresh;
      return fresh;
    },
    /**
     * Tells the shell the first screen takes keys (the start-up benchmark
     * measures up to here); only the first call of the process counts.
     */
    announceReady(): void {
      if (readyAnnounced) return;
      readyAnnounced = true;
      gateway.uiReady().catch(() => undefined);
    },
  };
}
