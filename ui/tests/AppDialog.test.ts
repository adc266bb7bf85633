import { mount } from '@vue/test-utils';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { defineComponent, nextTick } from 'vue';

import AppDialog from '../src/components/AppDialog.vue';
import { installShortcuts } from '../src/composables/useShortcuts';

vi.mock('@tauri-apps/api/core', () => ({ invoke: vi.fn() }));

const Host = defineComponent({
  components: { AppDialog },
  emits: ['close'],
  template: `
    <AppDialog title="Prueba" test-id="test-dialog" @close="$emit('close')">
      <input data-test="first" />
      <input data-test="second" data-autofocus />
      <button data-test="last">Listo</button>
    </AppDialog>`,
});

afterAll(installShortcuts(window));
afterEach(() => {
  document.body.innerHTML = '';
});

describe('a dialog', () => {
  it('takes the focus, keeps Tab inside, closes on Esc and gives the focus back', async () => {
    const opener = document.createElement('button');
    document.body.append(opener);
    opener.focus();

    const w = mount(Host, { attachTo: document.body });
    await nextTick();
    await nextTick();
    const el = (t: string) => w.get(`[data-test=${t}]`).element as HTMLElement;
    expect(document.activeElement).toBe(el('second'));

    el('last').focus();
    await w.get('[data-test=last]').trigger('keydown', { key: 'Tab' });
    expect(document.activeElement).toBe(el('first'));
    await w.get('[data-test=first]').trigger('keydown', { key: 'Tab', shiftKey: true });
    expect(document.activeElement).toBe(el('last'));

    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true }));
    expect(w.emitted('close')).toBeUndefined();
    window.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true, cancelable: true }));
    expect(w.emitted('close')).toHaveLength(1);

    w.unmount();
    expect(document.activeElement).toBe(opener);
  });
});
