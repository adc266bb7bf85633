import { mount, type VueWrapper } from '@vue/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import type { HomeContext } from '../src/bindings/HomeContext';
import type { LoggedIn } from '../src/bindings/LoggedIn';
import CashSessionCard from '../src/components/CashSessionCard.vue';
import { useSession } from '../src/composables/useSession';
import { cashier, homes, warehouseClerk } from './fixtures';

vi.mock('@tauri-apps/api/core', () => ({ invoke: vi.fn() }));

let wrapper: VueWrapper | null = null;

async function card(context: HomeContext, user: LoggedIn = cashier) {
  useSession().restore(user);
  wrapper = mount(CashSessionCard, { props: { context }, attachTo: document.body });
  await new Promise((r) => setTimeout(r));
  return wrapper;
}

const has = (w: VueWrapper, test: string) => w.find(`[data-test=${test}]`).exists();

beforeEach(() => useSession().restore(cashier));
afterEach(() => {
  wrapper?.unmount();
  wrapper = null;
});

describe('CashSessionCard', () => {
  it('case 1: shows the open session with "Ir a vender" and "Cerrar Caja"', async () => {
    const w = await card(homes.open_session);
    expect(w.get('[data-test=session-card]').attributes('data-case')).toBe('open_session');
    expect(w.text()).toContain('Caja 1');
    expect(w.text()).toContain('$500.00');
    expect(has(w, 'go-sell')).toBe(true);
    expect(has(w, 'close-session')).toBe(true);
    expect(has(w, 'opening-amount')).toBe(false);
    expect(has(w, 'open-session')).toBe(false);
    expect(document.activeElement).toBe(w.get('[data-test=go-sell]').element);
    await w.get('[data-test=close-session]').trigger('click');
    expect(w.emitted('close')).toHaveLength(1);
  });

  it('case 2: one register goes straight to the opening amount', async () => {
    const w = await card(homes.single_register);
    expect(w.get('[data-test=session-card]').attributes('data-case')).toBe('single_register');
    expect(has(w, 'register-select')).toBe(false);
    expect(has(w, 'go-sell')).toBe(false);
    const amount = w.get('[data-test=opening-amount]');
    expect(document.activeElement).toBe(amount.element);
    await amount.setValue('1,250.50');
    await w.get('form').trigger('submit');
    expect(w.emitted('open')).toEqual([[homes.single_register.single_cash_register_id, '1,250.50']]);
  });

  it('case 2: an unreadable amount is explained, not sent', async () => {
    const w = await card(homes.single_register);
    await w.get('[data-test=opening-amount]').setValue('mil');
    await w.get('form').trigger('submit');
    expect(w.emitted('open')).toBeUndefined();
    expect(w.text()).toContain('Fondo inicial: Escribe solo números');
  });

  it('case 2: a decimal comma is refused, never read as thousands', async () => {
    const w = await card(homes.single_register);
    await w.get('[data-test=opening-amount]').setValue('12,50');
    await w.get('form').trigger('submit');
    expect(w.emitted('open')).toBeUndefined();
    expect(w.get('[role=alert]').text()).toBe(
      'Fondo inicial: Usa punto para los centavos (12.50); la coma solo separa miles (1,250.00)',
    );
  });

  it('case 3: several registers are chosen from a list where those in use are disabled', async () => {
    const w = await card(homes.several_registers);
    expect(w.get('[data-test=session-card]').attributes('data-case')).toBe('several_registers');
    const options = w.findAll('[data-test=register-select] option');
    expect(options).toHaveLength(3);
    const inUse = options.filter((o) => (o.element as HTMLOptionElement).disabled);
    expect(inUse).toHaveLength(1);
    expect(inUse[0]?.text()).toContain('Caja 2');
    expect(inUse[0]?.text()).toContain('(en uso)');
    // The register in use is listed first, yet the free one is preselected.
    const select = w.get('[data-test=register-select]').element as HTMLSelectElement;
    expect(select.value).toBe(homes.several_registers.registers[1]?.id);
    await w.get('[data-test=register-select]').setValue(homes.several_registers.registers[2]?.id);
    await w.get('[data-test=opening-amount]').setValue('500');
    await w.get('form').trigger('submit');
    expect(w.emitted('open')).toEqual([[homes.several_registers.registers[2]?.id, '500']]);
  });

  it('case 4: no register assigned asks for an admin', async () => {
    const w = await card(homes.no_registers);
    expect(w.get('[data-test=session-card]').attributes('data-case')).toBe('no_registers');
    expect(w.get('[data-test=no-registers-alert]').text()).toBe(
      'No tienes cajas asignadas. Pide a un administrador que te asigne una.',
    );
    expect(has(w, 'opening-amount')).toBe(false);
    expect(has(w, 'open-session')).toBe(false);
  });

  it('disables opening, with the reason, for someone without CASH.SESSION.OPEN', async () => {
    const w = await card(homes.single_register, warehouseClerk);
    const button = w.get('[data-test=open-session]');
    expect(button.attributes('disabled')).toBeDefined();
    expect(button.attributes('title')).toBe('Requiere permiso CASH.SESSION.OPEN');
    expect(w.text()).toContain('Requiere permiso CASH.SESSION.OPEN');
  });
});
