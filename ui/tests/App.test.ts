import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';

import type { TerminalStatus } from '../src/bindings/TerminalStatus';
import { cashier, homes } from './fixtures';

vi.mock('@tauri-apps/api/core', () => ({ invoke: vi.fn() }));

const status = (over: Partial<TerminalStatus> = {}): TerminalStatus => ({
  set_up: true,
  store_name: 'Refaccionaria La Curva',
  branch_name: 'Principal',
  device_id: null,
  pin_length: 4,
  auto_lock_secs: 300,
  sync: { mode: 'standalone', online: false, pending_ops: 3, last_sync_at: null, last_error: null },
  ...over,
});

type Engine = Record<string, (args: Record<string, unknown>) => unknown>;

let wrapper: VueWrapper | null = null;

/** Starts the app afresh (module state included) over a fake engine. */
async function start(engine: Engine) {
  vi.resetModules();
  const { invoke } = await import('@tauri-apps/api/core');
  const invokeMock = vi.mocked(invoke);
  invokeMock.mockReset();
  invokeMock.mockImplementation(async (cmd, args) => {
    const answer = engine[cmd];
    if (!answer) throw { code: 'unexpected', message: `unexpected ${cmd}` };
    return answer((args ?? {}) as Record<string, unknown>);
  });
  const { default: App } = await import('../src/App.vue');
  wrapper = mount(App, { attachTo: document.body });
  await flushPromises();
  return { w: wrapper, calls: (cmd: string) => invokeMock.mock.calls.filter(([c]) => c === cmd) };
}

const base: Engine = {
  status: () => status(),
  theme: () => ({ '--color-primary': '#b00020' }),
  ui_ready: () => 250,
  current: () => null,
};

afterEach(() => {
  wrapper?.unmount();
  wrapper = null;
  vi.useRealTimers();
  document.documentElement.removeAttribute('style');
});

describe('starting the app', () => {
  it('shows why when the engine cannot open', async () => {
    const { w } = await start({
      ...base,
      status: () => {
        throw { code: 'secret_store_unavailable', message: 'No se puede usar el almacén de secretos del sistema: sin D-Bus' };
      },
    });
    const screen = w.get('[data-test=engine-unavailable]');
    expect(screen.text()).toContain('No se puede usar el almacén de secretos del sistema: sin D-Bus');
    expect(screen.text()).toContain('secret_store_unavailable');
    expect(w.find('[data-test=pin-pad]').exists()).toBe(false);
  });

  it('asks for the store on the first run and tells the shell it is ready, once', async () => {
    const { w, calls } = await start({ ...base, status: () => status({ set_up: false, store_name: null }) });
    expect(document.activeElement).toBe(w.get('[data-test=setup-store-name]').element);
    expect(calls('ui_ready')).toHaveLength(1);
  });

  it('opens on the PIN pad with the tenant’s theme applied', async () => {
    const { w, calls } = await start(base);
    expect(document.activeElement).toBe(w.get('[data-test=pin-pad]').element);
    expect(document.documentElement.style.getPropertyValue('--color-primary')).toBe('#b00020');
    expect(w.get('[data-test=status-sync]').text()).toContain('Sin central');
    expect(calls('ui_ready')).toHaveLength(1);
  });
});

describe('who is at the counter', () => {
  it('returns to the PIN pad when the engine locked the counter for idleness', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    let who: typeof cashier | null = cashier;
    const { w, calls } = await start({ ...base, current: () => who, home: () => homes.open_session });
    expect(w.get('[data-test=session-card]').attributes('data-case')).toBe('open_session');
    expect(w.get('[data-test=status-user]').text()).toContain('María Cajera · Cajero');
    expect(w.get('[data-test=status-session]').text()).toContain('Caja 1');

    const before = calls('current').length;
    await vi.advanceTimersByTimeAsync(15_000);
    expect(calls('current').length).toBe(before + 1);
    expect(w.find('[data-test=pin-pad]').exists()).toBe(false);

    who = null;
    await vi.advanceTimersByTimeAsync(15_000);
    await flushPromises();
    expect(w.find('[data-test=pin-pad]').exists()).toBe(true);
    expect(w.text()).toContain('La terminal se bloqueó por inactividad');
  });

  it('asks again when the window gets the focus back', async () => {
    let who: typeof cashier | null = cashier;
    const { w } = await start({ ...base, current: () => who, home: () => homes.single_register });
    who = null;
    window.dispatchEvent(new Event('focus'));
    await flushPromises();
    expect(w.find('[data-test=pin-pad]').exists()).toBe(true);
  });

  it('goes to the PIN pad when any command answers session_locked', async () => {
    const { w } = await start({
      ...base,
      current: () => cashier,
      home: () => {
        throw { code: 'session_locked', message: 'La sesión se bloqueó por inactividad; ingresa tu PIN' };
      },
    });
    expect(w.find('[data-test=pin-pad]').exists()).toBe(true);
    expect(w.text()).toContain('La sesión se bloqueó por inactividad; ingresa tu PIN');
  });

  it('locks with F12 and opens the help with F1', async () => {
    const { w, calls } = await start({ ...base, current: () => cashier, home: () => homes.no_registers, lock: () => null });
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'F1', bubbles: true, cancelable: true }));
    await flushPromises();
    expect(w.find('[data-test=shortcuts-help]').exists()).toBe(true);
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true, cancelable: true }));
    await flushPromises();
    expect(w.find('[data-test=shortcuts-help]').exists()).toBe(false);
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'F12', bubbles: true, cancelable: true }));
    await flushPromises();
    expect(calls('lock')).toHaveLength(1);
    expect(w.find('[data-test=pin-pad]').exists()).toBe(true);
  });
});

describe('a terminal of a chain', () => {
  const blank = () => status({ set_up: false, store_name: null });
  const enrolled = (over: Partial<TerminalStatus['sync']> = {}) =>
    status({
      store_name: 'Refaccionaria Demo',
      sync: { mode: 'enrolled', online: true, pending_ops: 0, last_sync_at: '2026-11-23T18:05:00Z', last_error: null, ...over },
    });

  async function fillEnrollment(w: VueWrapper, url: string, code: string, name: string) {
    await w.get('[data-test=setup-way-central]').trigger('click');
    await flushPromises();
    expect(document.activeElement).toBe(w.get('[data-test=enroll-url]').element);
    await w.get('[data-test=enroll-url]').setValue(url);
    await w.get('[data-test=enroll-code]').setValue(code);
    await w.get('[data-test=enroll-name]').setValue(name);
    await w.get('[data-test=enroll-submit]').trigger('submit');
    await flushPromises();
  }

  it('enrolls with the central office from the first run and goes to the PIN pad', async () => {
    let current = blank();
    const { w, calls } = await start({
      ...base,
      status: () => current,
      enroll: () => {
        current = enrolled();
        return current;
      },
    });
    await fillEnrollment(w, ' https://central.ejemplo.mx/ ', 'k7qx-m2pd-9hta', 'Mostrador 1');
    expect(calls('enroll')[0]?.[1]).toEqual({
      input: { central_url: 'https://central.ejemplo.mx/', code: 'K7QX-M2PD-9HTA', device_name: 'Mostrador 1' },
    });
    expect(w.find('[data-test=pin-pad]').exists()).toBe(true);
    expect(w.text()).toContain('Terminal conectada a Refaccionaria Demo. Ingresa tu PIN.');
    expect(w.get('[data-test=status-sync]').text()).toContain('En línea');
  });

  it('says what is missing before asking central, and shows central’s refusal in Spanish', async () => {
    const { w, calls } = await start({
      ...base,
      status: blank,
      enroll: () => {
        throw { code: 'enrollment_code_invalid', message: 'El código de enrolamiento no es válido o ya venció' };
      },
    });
    await fillEnrollment(w, 'central.ejemplo.mx', 'K7QX-M2PD-9HTA', 'Mostrador 1');
    expect(w.text()).toContain('Escribe la dirección de la central (https://…)');
    expect(calls('enroll')).toHaveLength(0);
    await w.get('[data-test=enroll-url]').setValue('https://central.ejemplo.mx');
    await w.get('[data-test=enroll-submit]').trigger('submit');
    await flushPromises();
    expect(w.get('[data-test=enroll-error]').text()).toContain('El código de enrolamiento no es válido o ya venció');
    expect(w.find('[data-test=pin-pad]').exists()).toBe(false);
  });

  it('shows pending ops, the last sync and the last error, and syncs now on request', async () => {
    const { w, calls } = await start({
      ...base,
      status: () => enrolled({ online: false, pending_ops: 1, last_error: 'Sin conexión con la central: tiempo agotado' }),
      sync_now: () => enrolled(),
    });
    expect(w.get('[data-test=status-sync]').text()).toContain('Sin conexión');
    expect(w.get('[data-test=status-sync]').attributes('title')).toBe('Sin conexión con la central: tiempo agotado');
    expect(w.get('[data-test=status-pending]').text()).toBe('1 pendiente');
    expect(w.get('[data-test=status-last-sync]').text()).toContain('Última sincronización');
    await w.get('[data-test=status-sync-now]').trigger('click');
    expect(calls('sync_now')).toHaveLength(1);
    expect(w.get('[data-test=status-sync-now]').text()).toBe('Sincronizando…');
  });

  it('offers no sync button and nothing pending on a store of its own', async () => {
    const { w } = await start(base);
    expect(w.get('[data-test=status-sync]').text()).toContain('Sin central');
    expect(w.find('[data-test=status-sync-now]').exists()).toBe(false);
    expect(w.find('[data-test=status-last-sync]').exists()).toBe(false);
    expect(w.find('[data-test=status-pending]').exists()).toBe(false);
    expect(w.text()).not.toContain('pendiente');
  });

  it('refreshes the pending count as soon as an action commits', async () => {
    let pending = 2;
    const { w, calls } = await start({
      ...base,
      status: () => enrolled({ pending_ops: pending }),
      current: () => cashier,
      home: () => homes.single_register,
      open_session: () => homes.open_session.session,
    });
    expect(w.get('[data-test=status-pending]').text()).toBe('2 pendientes');
    const before = calls('status').length;
    pending = 11;
    await w.get('[data-test=opening-amount]').setValue('500');
    await w.get('[data-test=session-card] form').trigger('submit');
    await flushPromises();
    expect(calls('open_session')).toHaveLength(1);
    expect(calls('status').length).toBeGreaterThan(before);
    expect(w.get('[data-test=status-pending]').text()).toBe('11 pendientes');
  });
});
