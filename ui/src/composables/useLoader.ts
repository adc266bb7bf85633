/** A list the admin screens load from the engine, with its error in words. */
import { ref, type Ref } from 'vue';

import { errorText } from '../errors';

export function useLoader<T>(load: () => Promise<T>) {
  const data = ref<T | null>(null) as Ref<T | null>;
  const error = ref<string | null>(null);

  async function reload(): Promise<void> {
    try {
      data.value = await load();
      error.value = null;
    } catch (e) {
      error.value = errorText(e);
    }
  }

  return { data, error, reload };
}
