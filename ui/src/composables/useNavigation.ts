/**
 * Which screen is showing. A counter app has a handful of screens and no
 * URLs worth keeping, so a ref replaces a router.
 */
import { ref } from 'vue';

export type Screen = 'boot' | 'unavailable' | 'setup' | 'pin' | 'home' | 'sale' | 'admin' | 'report';

const screen = ref<Screen>('boot');

export function useNavigation() {
  return {
    screen,
    go(next: Screen) {
      screen.value = next;
    },
  };
}
