import { invoke } from '@tauri-apps/api/core';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { useCart } from '../src/composables/useCart';
import { useCashSession } from '../src/composables/useCashSession';
import { useSession } from '../src/composables/useSession';
import { installShortcuts } from '../src/composables/useShortcuts';
import SaleScreen from '../src/screens/SaleScreen.vue';
import { cashier, filter, homes } from './fixtures';

vi.mock('@tauri-apps/api/core', () => ({ invoke: vi.fn() }));
const invokeMock = vi.mocked(invoke);

let wrapper: VueWrapper | null = null;
let uninstall: (() => void) | null = null;

beforeEach(async () => {
  invokeMock.mockImplementation(async (cmd) => {
    if (cmd === 'home') return homes.open_session;
    if (cmd === 'search_products') return [filter];
    return null;
  });
  useSession().restore(cashier);
  useCart().clear();
  await useCashSession().loadPOSContext();
  uninstall = installShortcuts(window);
});

afterEach(() => {
  wrapper?.unmount();
  wrapper = null;
  uninstall?.();
  invokeMock.mockReset();
});

const press = (key: string) => window.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true }));

describe('the sale screen', () => {
  it('asks for products on F10 with an empty cart, and stops asking once one is added', async () => {
    const w = (wrapper = mount(SaleScreen, { attachTo: document.body }));
    await flushPromises();
    press('F10');
    await flushPromises();
    expect(w.get('[data-test=sale-notice]').text()).toBe('Agrega productos antes de cobrar');
    expect(w.find('[data-test=pay-dialog]').exists()).toBe(false);

    const input = w.get('[data-test=product-search]');
    await input.setValue('FRAM-PH3614');
    await input.trigger('keydown', { key: 'Enter' });
    await flushPromises();
    expect(useCart().lines.value).toHaveLength(1);
    expect(w.find('[data-test=sale-notice]').exists()).toBe(false);
  });
});
