import { invoke } from '@tauri-apps/api/core';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import PinPad from '../src/components/PinPad.vue';
import { useNavigation } from '../src/composables/useNavigation';
import { useSession } from '../src/composables/useSession';
import { cashier } from './fixtures';

vi.mock('@tauri-apps/api/core', () => ({ invoke: vi.fn() }));
const invokeMock = vi.mocked(invoke);

let wrapper: VueWrapper | null = null;

function pad(pinLength: number | null) {
  wrapper = mount(PinPad, { props: { pinLength }, attachTo: document.body });
  return wrapper;
}

async function press(w: VueWrapper, ...keys: string[]) {
  for (const key of keys) await w.get('[data-test=pin-pad]').trigger('keydown', { key });
}

const dots = (w: VueWrapper) => w.findAll('[data-test=pin-dot]');
const loginCalls = () => invokeMock.mock.calls.filter(([cmd]) => cmd === 'login');

beforeEach(() => {
  invokeMock.mockImplementation(async (cmd) => (cmd === 'login' ? cashier : null));
  useNavigation().go('pin');
});

afterEach(() => {
  wrapper?.unmount();
  wrapper = null;
  invokeMock.mockReset();
  vi.useRealTimers();
});

describe('the PIN pad', () => {
  it('holds the keyboard focus when it appears', () => {
    const w = pad(4);
    expect(document.activeElement).toBe(w.get('[data-test=pin-pad]').element);
  });

  it('shows a filled dot per digit; Backspace removes one and Escape clears', async () => {
    const w = pad(6);
    await press(w, '1', '2', '3');
    expect(dots(w)).toHaveLength(3);
    expect(dots(w).every((d) => d.classes('filled'))).toBe(true);
    await press(w, 'Backspace');
    expect(dots(w)).toHaveLength(2);
    await press(w, 'Escape');
    expect(dots(w)).toHaveLength(0);
    await press(w, 'a', 'F3');
    expect(dots(w)).toHaveLength(0);
    expect(loginCalls()).toHaveLength(0);
  });

  it('takes digits clicked on the pad', async () => {
    const w = pad(6);
    await w.get('[data-test=pin-key-4]').trigger('click');
    await w.get('[data-test=pin-key-0]').trigger('click');
    expect(dots(w)).toHaveLength(2);
  });

  it('submits by itself, once, when the PIN reaches the configured length', async () => {
    const w = pad(4);
    await press(w, '1', '1', '1');
    expect(loginCalls()).toHaveLength(0);
    await press(w, '1', '2');
    await flushPromises();
    expect(loginCalls()).toEqual([['login', { pin: '1111' }]]);
    expect(useSession().user.value?.employee_id).toBe(cashier.employee_id);
    expect(useNavigation().screen.value).toBe('home');
  });

  it('waits for Enter when no length is configured, and takes shorter PINs then', async () => {
    const w = pad(null);
    await press(w, '1', '2', '3', '4', '5', '6');
    expect(dots(w)).toHaveLength(6);
    await press(w, '7');
    expect(dots(w)).toHaveLength(6);
    await press(w, 'Escape', '4', '3', '2', '1');
    await flushPromises();
    expect(loginCalls()).toHaveLength(0);
    await press(w, 'Enter');
    await flushPromises();
    expect(loginCalls()).toEqual([['login', { pin: '4321' }]]);
  });

  it('refuses to submit fewer than four digits', async () => {
    const w = pad(null);
    await press(w, '1', '2', 'Enter');
    expect(loginCalls()).toHaveLength(0);
    expect(w.get('[data-test=pin-error]').text()).toContain('4 a 6 dígitos');
  });

  it('shows the engine’s refusal and starts over', async () => {
    invokeMock.mockImplementation(async (cmd) => {
      if (cmd === 'login') throw { code: 'wrong_pin', message: 'PIN incorrecto' };
      return null;
    });
    const w = pad(4);
    await press(w, '9', '9', '9', '9');
    await flushPromises();
    expect(w.get('[data-test=pin-error]').text()).toBe('PIN incorrecto');
    expect(dots(w)).toHaveLength(0);
    expect(w.find('[data-test=pin-countdown]').exists()).toBe(false);
  });

  it('counts down a throttled wait with input disabled, then takes digits again', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    invokeMock.mockImplementation(async (cmd) => {
      if (cmd === 'login') {
        throw { code: 'too_many_attempts', message: 'Demasiados intentos. Espere un momento.', retry_after_secs: 65 };
      }
      return null;
    });
    const w = pad(4);
    await press(w, '1', '2', '3', '4');
    await flushPromises();
    expect(w.get('[data-test=pin-error]').text()).toBe('Demasiados intentos. Espere un momento.');
    expect(w.get('[data-test=pin-countdown]').text()).toContain('1:05');
    expect(w.get('[data-test=pin-key-5]').attributes('disabled')).toBeDefined();

    await press(w, '5', '5', '5', '5');
    await w.get('[data-test=pin-key-5]').trigger('click');
    expect(dots(w)).toHaveLength(0);
    expect(loginCalls()).toHaveLength(1);

    await vi.advanceTimersByTimeAsync(60_000);
    expect(w.get('[data-test=pin-countdown]').text()).toContain('0:05');
    await vi.advanceTimersByTimeAsync(5_000);
    expect(w.find('[data-test=pin-countdown]').exists()).toBe(false);
    expect(w.get('[data-test=pin-key-5]').attributes('disabled')).toBeUndefined();
    await press(w, '5');
    expect(dots(w)).toHaveLength(1);
  });
});
