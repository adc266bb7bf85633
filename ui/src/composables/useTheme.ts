/**
 * The tenant's theme: CSS variables from the engine laid over the defaults
 * of common.css. A theme that cannot be read leaves the defaults.
 */
import * as gateway from '../gateway';

export function applyTheme(variables: Record<string, string>, root: HTMLElement = document.documentElement): void {
  for (const [name, value] of Object.entries(variables)) {
    if (name.startsWith('--')) root.style.setProperty(name, value);
  }
}

export function useTheme() {
  return {
    async load(): Promise<void> {
      try {
        applyTheme(await gateway.theme());
      } catch {
        // The defaults of common.css stay; the engine's health is reported by status().
      }
    },
  };
}
