import { mount } from '@vue/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';

import ShortcutsHelp from '../src/components/ShortcutsHelp.vue';
import { installShortcuts, pushLayer, routeKey } from '../src/composables/useShortcuts';
import { SHORTCUTS, actionFor } from '../src/shortcuts';

vi.mock('@tauri-apps/api/core', () => ({ invoke: vi.fn() }));

const key = (k: string, init: KeyboardEventInit = {}) =>
  new KeyboardEvent('keydown', { key: k, bubbles: true, cancelable: true, ...init });

const removals: (() => void)[] = [];
const layer = (...args: Parameters<typeof pushLayer>) => removals.push(pushLayer(...args));
afterEach(() => removals.splice(0).forEach((remove) => remove()));

describe('the F-key map', () => {
  it('names the action of each global key', () => {
    const expected = { F1: 'help', F2: 'search', F4: 'movement', F8: 'close', F10: 'pay', F12: 'lock', Escape: 'escape' };
    for (const [k, action] of Object.entries(expected)) expect(actionFor(key(k), 'global'), k).toBe(action);
    expect(actionFor(key('F5'), 'global')).toBeNull();
    expect(actionFor(key('a'), 'global')).toBeNull();
  });

  it('leaves key combinations to the system', () => {
    expect(actionFor(key('F4', { altKey: true }), 'global')).toBeNull();
    expect(actionFor(key('F2', { ctrlKey: true }), 'global')).toBeNull();
  });

  it('maps the keys of the PIN pad and the cart', () => {
    expect(actionFor(key('7'), 'pin')).toBe('digit');
    expect(actionFor(key('Escape'), 'pin')).toBe('clear');
    expect(actionFor(key('Delete'), 'cart')).toBe('remove');
    expect(actionFor(key('+'), 'cart')).toBe('increase');
    expect(actionFor(key('-'), 'cart')).toBe('decrease');
    expect(actionFor(key('Enter'), 'search')).toBe('add');
  });
});

describe('routing keys to the handler on top', () => {
  it('sends each key to the handler that owns it', () => {
    const app = { help: vi.fn(), lock: vi.fn() };
    const screen = { search: vi.fn(), movement: vi.fn(), close: vi.fn(), pay: vi.fn() };
    layer(app, { level: 'app' });
    layer(screen, { level: 'screen' });
    for (const k of ['F1', 'F2', 'F4', 'F8', 'F10', 'F12']) {
      const event = key(k);
      expect(routeKey(event), k).toBe(true);
      expect(event.defaultPrevented).toBe(true);
    }
    expect(app.help).toHaveBeenCalledOnce();
    expect(app.lock).toHaveBeenCalledOnce();
    expect(screen.search).toHaveBeenCalledOnce();
    expect(screen.movement).toHaveBeenCalledOnce();
    expect(screen.close).toHaveBeenCalledOnce();
    expect(screen.pay).toHaveBeenCalledOnce();
  });

  it('lets a dialog close on Esc and hold back the screen’s keys, but not help and lock', () => {
    const app = { help: vi.fn(), lock: vi.fn() };
    const screen = { search: vi.fn(), pay: vi.fn() };
    const dialog = { escape: vi.fn() };
    layer(app, { level: 'app' });
    const removeDialog = pushLayer(dialog, { level: 'dialog', modal: true });
    // Registered after the dialog, the screen still ranks below it.
    layer(screen, { level: 'screen' });

    expect(routeKey(key('F10'))).toBe(false);
    expect(routeKey(key('F2'))).toBe(false);
    expect(screen.pay).not.toHaveBeenCalled();
    expect(screen.search).not.toHaveBeenCalled();
    routeKey(key('Escape'));
    expect(dialog.escape).toHaveBeenCalledOnce();
    routeKey(key('F12'));
    routeKey(key('F1'));
    expect(app.lock).toHaveBeenCalledOnce();
    expect(app.help).toHaveBeenCalledOnce();

    removeDialog();
    routeKey(key('F10'));
    expect(screen.pay).toHaveBeenCalledOnce();
  });

  it('does nothing on Esc when no dialog is open, and keeps Esc’s default', () => {
    const screen = { search: vi.fn() };
    layer(screen, { level: 'screen' });
    const event = key('Escape');
    expect(routeKey(event)).toBe(false);
    expect(event.defaultPrevented).toBe(false);
  });

  it('hears F-keys pressed inside a text field', () => {
    const screen = { search: vi.fn() };
    layer(screen, { level: 'screen' });
    const uninstall = installShortcuts(window);
    const input = document.createElement('input');
    document.body.append(input);
    input.addEventListener('keydown', (e) => e.stopPropagation());
    input.dispatchEvent(key('F2'));
    expect(screen.search).toHaveBeenCalledOnce();
    uninstall();
    input.remove();
  });
});

describe('the help overlay', () => {
  it('lists every entry of the map', () => {
    const wrapper = mount(ShortcutsHelp, { attachTo: document.body });
    const rows = wrapper.findAll('[data-test=shortcut]');
    expect(rows).toHaveLength(SHORTCUTS.length);
    const text = wrapper.get('[data-test=shortcuts-help]').text();
    for (const s of SHORTCUTS) {
      expect(text).toContain(s.label);
      expect(text).toContain(s.display);
    }
    wrapper.unmount();
  });
});
