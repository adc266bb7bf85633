import { invoke } from '@tauri-apps/api/core';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';

import type { Employee } from '../src/bindings/Employee';
import EmployeeDialog from '../src/screens/admin/EmployeeDialog.vue';
import PinResetDialog from '../src/screens/admin/PinResetDialog.vue';
import { cashier } from './fixtures';

vi.mock('@tauri-apps/api/core', () => ({ invoke: vi.fn() }));
const invokeMock = vi.mocked(invoke);

let wrapper: VueWrapper | null = null;
afterEach(() => {
  wrapper?.unmount();
  wrapper = null;
  invokeMock.mockReset();
});

const maria = {
  id: cashier.employee_id,
  name: 'María Cajera',
  email: null,
  phone: null,
  role: 'cashier',
  branch_id: cashier.branch_id,
  max_discount_bp: 500,
  is_active: true,
  permissions: cashier.permissions,
} as unknown as Employee;

describe('PINs are made by the system, never typed by an admin', () => {
  it('creates an employee without asking a PIN and shows the one made, once', async () => {
    invokeMock.mockResolvedValue({ employee: { ...maria, name: 'Pedro Nuevo' }, pin: '4821' });
    const w = (wrapper = mount(EmployeeDialog, { attachTo: document.body }));
    expect(w.find('input[type=password]').exists()).toBe(false);
    await w.get('[data-test=employee-name]').setValue('Pedro Nuevo');
    await w.get('form').trigger('submit');
    await flushPromises();
    const [cmd, args] = invokeMock.mock.calls[0]!;
    expect(cmd).toBe('create_employee');
    expect((args as { input: Record<string, unknown> }).input).not.toHaveProperty('pin');
    expect(w.get('[data-test=issued-pin]').text()).toBe('4821');
    expect(document.activeElement).toBe(w.get('[data-test=issued-pin-done]').element);
    expect(w.emitted('saved')).toBeUndefined();
    await w.get('[data-test=issued-pin-done]').trigger('click');
    expect(w.emitted('saved')).toHaveLength(1);
  });

  it('resets a PIN to a new one made by the system and shows it once', async () => {
    invokeMock.mockResolvedValue({ pin: '907312' });
    const w = (wrapper = mount(PinResetDialog, { props: { employee: maria }, attachTo: document.body }));
    expect(w.find('input').exists()).toBe(false);
    await w.get('form').trigger('submit');
    await flushPromises();
    expect(invokeMock).toHaveBeenCalledWith('reset_pin', { id: maria.id });
    expect(w.get('[data-test=issued-pin]').text()).toBe('907312');
    await w.get('[data-test=issued-pin-done]').trigger('click');
    expect(w.emitted('saved')).toHaveLength(1);
  });
});

describe('changing one’s own PIN', () => {
  it('sends the current PIN and the new one typed twice', async () => {
    const { default: ChangePinDialog } = await import('../src/components/ChangePinDialog.vue');
    invokeMock.mockResolvedValue(null);
    const w = (wrapper = mount(ChangePinDialog, { attachTo: document.body }));
    await flushPromises();
    expect(document.activeElement).toBe(w.get('[data-test=change-pin-current]').element);
    await w.get('[data-test=change-pin-current]').setValue('1111');
    await w.get('[data-test=change-pin-new]').setValue('2580');
    await w.get('[data-test=change-pin-repeat]').setValue('2581');
    await w.get('form').trigger('submit');
    expect(invokeMock).not.toHaveBeenCalled();
    expect(w.get('[role=alert]').text()).toBe('Los PIN nuevos no coinciden');
    await w.get('[data-test=change-pin-repeat]').setValue('2580');
    await w.get('form').trigger('submit');
    await flushPromises();
    expect(invokeMock).toHaveBeenCalledWith('change_own_pin', { input: { current_pin: '1111', new_pin: '2580' } });
    expect(w.emitted('changed')).toHaveLength(1);
  });

  it('shows the engine’s refusal and stays open', async () => {
    const { default: ChangePinDialog } = await import('../src/components/ChangePinDialog.vue');
    invokeMock.mockRejectedValue({ code: 'pin_unavailable', message: 'Ese PIN no está disponible; elige otro' });
    const w = (wrapper = mount(ChangePinDialog, { attachTo: document.body }));
    await w.get('[data-test=change-pin-current]').setValue('1111');
    await w.get('[data-test=change-pin-new]').setValue('1234');
    await w.get('[data-test=change-pin-repeat]').setValue('1234');
    await w.get('form').trigger('submit');
    await flushPromises();
    expect(w.get('[role=alert]').text()).toContain('Ese PIN no está disponible');
    expect(w.emitted('changed')).toBeUndefined();
  });
});
