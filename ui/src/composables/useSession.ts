/**
 * Who is at the counter. Logging in, locking, logging out, and noticing
 * that the engine locked the counter by itself (idle time) so the app
 * returns to the PIN pad. When the same employee unlocks, they return to
 * the screen they left; someone else starts at home with a fresh cart.
 */
import { computed, ref } from 'vue';

import type { LoggedIn } from '../bindings/LoggedIn';
import type { Permission } from '../bindings/Permission';
import * as gateway from '../gateway';
import { holds, requirement } from '../permissions';
import { useCart } from './useCart';
import { useCashSession } from './useCashSession';
import { useNavigation, type Screen } from './useNavigation';

const user = ref<LoggedIn | null>(null);
/** Why the PIN pad is showing, when it is not the first login. */
const notice = ref<string | null>(null);
/** Where to return when the same employee unlocks. */
let resume: { employeeId: string; screen: Screen } | null = null;

const RESUMABLE: ReadonlySet<Screen> = new Set<Screen>(['home', 'sale', 'admin', 'report']);

const IDLE_NOTICE = 'La terminal se bloqueó por inactividad. Ingresa tu PIN.';

export function useSession() {
  const navigation = useNavigation();

  function leaveCounter(message: string | null, keepPlace: boolean): void {
    const current = navigation.screen.value;
    resume = keepPlace && user.value && RESUMABLE.has(current) ? { employeeId: user.value.employee_id, screen: current } : null;
    user.value = null;
    notice.value = message;
    navigation.go('pin');
  }

  return {
    user: computed(() => user.value),
    notice: computed(() => notice.value),

    can: (permission: Permission) => holds(user.value, permission),
    requirement: (permission: Permission) => requirement(user.value, permission),

    /** Sets who is at the counter without a PIN (the engine kept them logged in). */
    restore(who: LoggedIn): void {
      user.value = who;
      navigation.go('home');
    },

    async login(pin: string): Promise<LoggedIn> {
      const who = await gateway.login(pin);
      const back = resume?.employeeId === who.employee_id ? resume.screen : null;
      if (back === null) {
        useCart().clear();
        useCashSession().clearContext();
      }
      resume = null;
      user.value = who;
      notice.value = null;
      navigation.go(back ?? 'home');
      return who;
    },

    /** Locks the counter; the PIN pad shows even if the engine cannot be reached. */
    async lock(): Promise<void> {
      try {
        await gateway.lock();
      } catch {
        // The next action needs a PIN either way: the PIN pad is the safe place to be.
      }
      leaveCounter(null, true);
    },

    async logout(): Promise<void> {
      await gateway.logout();
      leaveCounter(null, false);
    },

    /** The engine says nobody is logged in any more (idle lock, deactivation). */
    lockedOut(message: string): void {
      if (user.value === null) return;
      leaveCounter(message, true);
    },

    /** Asks the engine who is at the counter; picks up permission changes too. */
    async check(): Promise<void> {
      if (user.value === null) return;
      const who = await gateway.current();
      if (user.value === null) return;
      if (who === null) leaveCounter(IDLE_NOTICE, true);
      else user.value = who;
    },

    setNotice(message: string | null): void {
      notice.value = message;
    },
  };
}
