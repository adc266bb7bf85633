import { invoke } from '@tauri-apps/api/core';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import CloseDialog from '../src/components/CloseDialog.vue';
import MovementDialog from '../src/components/MovementDialog.vue';
import PayDialog from '../src/components/PayDialog.vue';
import { useSession } from '../src/composables/useSession';
import { DENOMINATIONS } from '../src/denominations';
import { cashier, openSession } from './fixtures';

vi.mock('@tauri-apps/api/core', () => ({ invoke: vi.fn() }));
const invokeMock = vi.mocked(invoke);

let wrapper: VueWrapper | null = null;

beforeEach(() => useSession().restore(cashier));
afterEach(() => {
  wrapper?.unmount();
  wrapper = null;
  invokeMock.mockReset();
});

describe('the pay dialog', () => {
  function pay(total: number) {
    wrapper = mount(PayDialog, { props: { total }, attachTo: document.body });
    return wrapper;
  }

  it('starts in the cash field and shows the change as the cash is typed', async () => {
    const w = pay(22_040);
    await flushPromises();
    const cash = w.get('[data-test=pay-cash]');
    expect(document.activeElement).toBe(cash.element);
    await cash.setValue('500');
    expect(w.get('[data-test=pay-change]').text()).toBe('$279.60');
    await w.get('form').trigger('submit');
    expect(w.emitted('confirm')).toEqual([[{ cash: '500', card: null, transfer: null }]]);
  });

  it('does not send a payment that falls short', async () => {
    const w = pay(22_040);
    await w.get('[data-test=pay-cash]').setValue('200');
    expect(w.text()).toContain('Faltan');
    expect(w.get('[data-test=pay-change]').text()).toBe('$20.40');
    await w.get('form').trigger('submit');
    expect(w.emitted('confirm')).toBeUndefined();
  });

  it.each([
    ['pay-cash', 'Efectivo'],
    ['pay-card', 'Tarjeta'],
    ['pay-transfer', 'Transferencia'],
  ])('refuses a decimal comma in %s instead of reading it as thousands', async (field, label) => {
    const w = pay(1_250);
    await w.get(`[data-test=${field}]`).setValue('12,50');
    await w.get('form').trigger('submit');
    expect(w.emitted('confirm')).toBeUndefined();
    expect(w.get('[role=alert]').text()).toBe(
      `${label}: Usa punto para los centavos (12.50); la coma solo separa miles (1,250.00)`,
    );
  });

  it('charges card and transfer exactly and takes the rest in cash', async () => {
    const w = pay(22_040);
    await w.get('[data-test=pay-card]').setValue('120.40');
    await w.get('[data-test=pay-cash]').setValue('100');
    expect(w.get('[data-test=pay-change]').text()).toBe('$0.00');
    await w.get('[data-test=pay-transfer]').setValue('200');
    await w.get('form').trigger('submit');
    expect(w.text()).toContain('no pueden exceder el total');
    expect(w.emitted('confirm')).toBeUndefined();
  });
});

describe('the close dialog', () => {
  beforeEach(() => {
    invokeMock.mockImplementation(async (cmd, args) => {
      if (cmd === 'session_report') return { expected_cents: 52_050 };
      if (cmd === 'close_session') return { input: (args as { input: unknown }).input };
      return null;
    });
  });

  it('lists the twelve denominations in counting order, the first one focused', async () => {
    wrapper = mount(CloseDialog, { props: { session: openSession }, attachTo: document.body });
    await flushPromises();
    const inputs = wrapper.findAll('input[data-test^=denom-]');
    expect(inputs.map((i) => i.attributes('data-test'))).toEqual(DENOMINATIONS.map((d) => `denom-${d.code}`));
    expect(document.activeElement).toBe(wrapper.get('[data-test=denom-B1000]').element);
    expect(invokeMock).toHaveBeenCalledWith('session_report', { sessionId: openSession.id });
    expect(wrapper.get('[data-test=close-expected]').text()).toBe('$520.50');
  });

  it('shows the counted total and the difference live, red when money is missing', async () => {
    const w = (wrapper = mount(CloseDialog, { props: { session: openSession }, attachTo: document.body }));
    await flushPromises();
    await w.get('[data-test=denom-B500]').setValue('1');
    await w.get('[data-test=denom-C10]').setValue('2');
    expect(w.get('[data-test=close-counted]').text()).toBe('$520.00');
    expect(w.get('[data-test=close-difference]').text()).toBe('-$0.50');
    expect(w.get('[data-test=close-difference]').classes()).toContain('negative');
    await w.get('[data-test=denom-C050]').setValue('3');
    expect(w.get('[data-test=close-difference]').text()).toBe('$1.00');
    expect(w.get('[data-test=close-difference]').classes()).not.toContain('negative');
  });

  it('closes with the count by denomination', async () => {
    const w = (wrapper = mount(CloseDialog, { props: { session: openSession }, attachTo: document.body }));
    await flushPromises();
    await w.get('[data-test=denom-B500]').setValue('1');
    await w.get('[data-test=denom-C050]').setValue('1');
    await w.get('form').trigger('submit');
    await flushPromises();
    expect(invokeMock).toHaveBeenCalledWith('close_session', {
      input: {
        cash_session_id: openSession.id,
        counted_amount: null,
        denominations: { B500: 1, C050: 1 },
        confirm_zero: false,
      },
    });
    expect(w.emitted('closed')).toHaveLength(1);
  });

  it('does not close when every count field is empty', async () => {
    const w = (wrapper = mount(CloseDialog, { props: { session: openSession }, attachTo: document.body }));
    await flushPromises();
    await w.get('form').trigger('submit');
    await w.get('form').trigger('submit');
    await flushPromises();
    expect(invokeMock).not.toHaveBeenCalledWith('close_session', expect.anything());
    expect(w.emitted('closed')).toBeUndefined();
    expect(w.get('[role=alert]').text()).toContain('Captura el conteo');
    expect(w.get('[data-test=close-counted]').text()).toBe('—');
  });

  it('closes with a zero count only once it is typed and confirmed', async () => {
    const w = (wrapper = mount(CloseDialog, { props: { session: openSession }, attachTo: document.body }));
    await flushPromises();
    await w.get('[data-test=denom-B1000]').setValue('0');
    await w.get('form').trigger('submit');
    await w.get('form').trigger('submit');
    await flushPromises();
    expect(invokeMock).not.toHaveBeenCalledWith('close_session', expect.anything());
    expect(w.get('[data-test=close-zero]').text()).toContain('faltante de $520.50');
    await w.get('[data-test=close-confirm-zero]').trigger('click');
    await flushPromises();
    expect(invokeMock).toHaveBeenCalledWith('close_session', {
      input: { cash_session_id: openSession.id, counted_amount: null, denominations: { B1000: 0 }, confirm_zero: true },
    });
    expect(w.emitted('closed')).toHaveLength(1);
  });

  it('asks again for a zero count after the count changes', async () => {
    const w = (wrapper = mount(CloseDialog, { props: { session: openSession }, attachTo: document.body }));
    await flushPromises();
    await w.get('[data-test=denom-C1]').setValue('0');
    await w.get('form').trigger('submit');
    expect(w.find('[data-test=close-zero]').exists()).toBe(true);
    await w.get('[data-test=denom-C2]').setValue('0');
    expect(w.find('[data-test=close-zero]').exists()).toBe(false);
  });
});

describe('the movement dialog', () => {
  it('refuses a decimal comma and sends nothing', async () => {
    const w = (wrapper = mount(MovementDialog, { props: { sessionId: openSession.id }, attachTo: document.body }));
    await w.get('[data-test=movement-amount]').setValue('12,50');
    await w.get('[data-test=movement-reason]').setValue('Cambio');
    await w.get('form').trigger('submit');
    await flushPromises();
    expect(invokeMock).not.toHaveBeenCalled();
    expect(w.get('[role=alert]').text()).toBe(
      'Usa punto para los centavos (12.50); la coma solo separa miles (1,250.00)',
    );
  });

  it('sends an amount with a thousands comma as typed', async () => {
    invokeMock.mockResolvedValue({ kind: 'in', amount_cents: 125_000, drawer_cents: 175_000 });
    const w = (wrapper = mount(MovementDialog, { props: { sessionId: openSession.id }, attachTo: document.body }));
    await w.get('[data-test=movement-amount]').setValue('1,250.00');
    await w.get('[data-test=movement-reason]').setValue('Cambio');
    await w.get('form').trigger('submit');
    await flushPromises();
    expect(invokeMock).toHaveBeenCalledWith('move_cash', {
      input: { cash_session_id: openSession.id, kind: 'in', amount: '1,250.00', reason: 'Cambio' },
    });
    expect(w.emitted('done')).toHaveLength(1);
  });
});
