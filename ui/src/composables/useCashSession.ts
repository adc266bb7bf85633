/**
 * The cashier's cash session as the register-assignment spec's
 * `useCashSession` has it: the home context after login (which of the four
 * cases applies), opening, closing, and the last Z report.
 */
import { computed, ref } from 'vue';

import type { Denomination } from '../bindings/Denomination';
import type { HomeContext } from '../bindings/HomeContext';
import type { SessionView } from '../bindings/SessionView';
import type { ZReport } from '../bindings/ZReport';
import * as gateway from '../gateway';

const posContext = ref<HomeContext | null>(null);
const lastReport = ref<ZReport | null>(null);

export function useCashSession() {
  const currentCashSession = computed<SessionView | null>(() => posContext.value?.session ?? null);

  async function loadPOSContext(): Promise<HomeContext> {
    const context = await gateway.home();
    posContext.value = context;
    return context;
  }

  return {
    posContext,
    currentCashSession,
    lastReport,
    hasOpenSession: computed(() => currentCashSession.value !== null),
    loadPOSContext,

    /** Opens a session with the opening amount as typed. */
    async openSession(registerId: string, openingAmount: string): Promise<SessionView> {
      const session = await gateway.openSession({ cash_register_id: registerId, opening_amount: openingAmount });
      await loadPOSContext();
      return session;
    },

    /** What the drawer should hold now, from the session's running report. */
    async expectedCents(sessionId: string): Promise<number> {
      return (await gateway.sessionReport(sessionId)).expected_cents;
    },

    /**
     * Closes the session with a count by denomination and keeps its Z
     * report. The home context is left as it was: the screens showing the
     * session leave first, and the report screen reloads it.
     */
    async closeSession(
      sessionId: string,
      denominations: { [key in Denomination]?: number },
      confirmZero = false,
    ): Promise<ZReport> {
      const report = await gateway.closeSession({
        cash_session_id: sessionId,
        counted_amount: null,
        denominations,
        confirm_zero: confirmZero,
      });
      lastReport.value = report;
      return report;
    },

    clearContext(): void {
      posContext.value = null;
      lastReport.value = null;
    },
  };
}
