import { mount, type VueWrapper } from '@vue/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import type { LoggedIn } from '../src/bindings/LoggedIn';
import CartTable from '../src/components/CartTable.vue';
import { useCart } from '../src/composables/useCart';
import { useSession } from '../src/composables/useSession';
import { airFilter, cashier, filter } from './fixtures';

vi.mock('@tauri-apps/api/core', () => ({ invoke: vi.fn() }));

const cart = useCart();
let wrapper: VueWrapper | null = null;

function table(user: LoggedIn = cashier) {
  useSession().restore(user);
  cart.clear();
  cart.add(filter);
  cart.add(airFilter);
  wrapper = mount(CartTable, { attachTo: document.body });
  (wrapper.get('[data-test=cart]').element as HTMLElement).focus();
  return wrapper;
}

const keys = async (w: VueWrapper, ...list: string[]) => {
  for (const key of list) await w.get('[data-test=cart]').trigger('keydown', { key });
};
const quantities = () => cart.lines.value.map((l) => l.quantity);

beforeEach(() => cart.clear());
afterEach(() => {
  wrapper?.unmount();
  wrapper = null;
});

describe('the cart from the keyboard', () => {
  it('moves between lines and changes the quantity with + and −', async () => {
    const w = table();
    expect(cart.selected.value).toBe(1);
    await keys(w, 'ArrowUp', '+', '+');
    expect(cart.selected.value).toBe(0);
    expect(quantities()).toEqual([3, 1]);
    await keys(w, '-', '-', '-');
    expect(quantities()).toEqual([1, 1]);
    expect(w.findAll('[data-test=cart-line]')[0]?.classes()).toContain('cart-line--on');
  });

  it('takes a typed quantity, Backspace included', async () => {
    const w = table();
    await keys(w, '1', '2');
    expect(quantities()).toEqual([1, 12]);
    await keys(w, 'Backspace');
    expect(quantities()).toEqual([1, 1]);
    await keys(w, 'ArrowUp', '4');
    expect(quantities()).toEqual([4, 1]);
  });

  it('removes the selected line with Supr', async () => {
    const w = table();
    await keys(w, 'Delete');
    expect(cart.lines.value.map((l) => l.product.id)).toEqual([filter.id]);
    expect(cart.selected.value).toBe(0);
    expect(w.findAll('[data-test=cart-line]')).toHaveLength(1);
  });

  it('goes back up to the search from the first line', async () => {
    const w = table();
    await keys(w, 'ArrowUp', 'ArrowUp');
    expect(w.emitted('toSearch')).toHaveLength(1);
  });

  it('caps a discount at the employee’s maximum', async () => {
    const w = table();
    await keys(w, 'd');
    const input = w.findAll('[data-test=cart-discount]')[1]!;
    expect(document.activeElement).toBe(input.element);
    await input.setValue('10');
    await input.trigger('keydown', { key: 'Enter' });
    expect(cart.lines.value[1]?.discountBp).toBe(500);
    expect(w.text()).toContain('Tu descuento máximo es 5 %');
    expect(document.activeElement).toBe(w.get('[data-test=cart]').element);
  });

  it('disables discounts, with the reason, without pos.discount', async () => {
    const w = table({ ...cashier, permissions: cashier.permissions.filter((p) => p !== 'pos.discount') });
    const input = w.findAll('[data-test=cart-discount]')[0]!;
    expect(input.attributes('disabled')).toBeDefined();
    expect(input.attributes('title')).toBe('Requiere permiso pos.discount');
    await keys(w, 'd');
    expect(w.text()).toContain('Requiere permiso pos.discount');
  });
});
