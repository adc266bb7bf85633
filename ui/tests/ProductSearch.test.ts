import { invoke } from '@tauri-apps/api/core';
import { flushPromises, mount, type VueWrapper } from '@vue/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import ProductSearch from '../src/components/ProductSearch.vue';
import { airFilter, filter } from './fixtures';

vi.mock('@tauri-apps/api/core', () => ({ invoke: vi.fn() }));
const invokeMock = vi.mocked(invoke);

let wrapper: VueWrapper | null = null;
const searches = () => invokeMock.mock.calls.filter(([cmd]) => cmd === 'search_products');

function search() {
  wrapper = mount(ProductSearch, { props: { tier: 1 }, attachTo: document.body });
  return wrapper;
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  invokeMock.mockImplementation(async (cmd, args) => {
    if (cmd !== 'search_products') return null;
    const query = String((args as { query: string }).query).toLowerCase();
    return [filter, airFilter].filter(
      (p) => p.barcode === query || p.part_number.toLowerCase() === query || p.name.toLowerCase().includes(query),
    );
  });
});

afterEach(() => {
  wrapper?.unmount();
  wrapper = null;
  invokeMock.mockReset();
  vi.useRealTimers();
});

describe('product search', () => {
  it('searches once the typing pauses', async () => {
    const w = search();
    await w.get('[data-test=product-search]').setValue('fil');
    await w.get('[data-test=product-search]').setValue('filtro');
    expect(searches()).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(150);
    expect(searches()).toEqual([['search_products', { query: 'filtro', limit: 20 }]]);
    expect(w.findAll('[data-test=search-result]')).toHaveLength(2);
  });

  it('adds an exact barcode on Enter without waiting for the pause, as a scanner types', async () => {
    const w = search();
    const input = w.get('[data-test=product-search]');
    await input.setValue('7501000000024');
    await input.trigger('keydown', { key: 'Enter' });
    await flushPromises();
    expect(w.emitted('add')).toEqual([[airFilter]]);
    expect((input.element as HTMLInputElement).value).toBe('');
  });

  it('matches part numbers without regard to case', async () => {
    const w = search();
    const input = w.get('[data-test=product-search]');
    await input.setValue('fram-ph3614');
    await input.trigger('keydown', { key: 'Enter' });
    await flushPromises();
    expect(w.emitted('add')).toEqual([[filter]]);
  });

  it('adds the first result, drawn highlighted, on Enter', async () => {
    const w = search();
    const input = w.get('[data-test=product-search]');
    await input.setValue('filtro');
    await vi.advanceTimersByTimeAsync(150);
    const rows = w.findAll('[data-test=search-result]');
    expect(rows).toHaveLength(2);
    expect(rows[0]?.classes()).toContain('result--on');
    await input.trigger('keydown', { key: 'Enter' });
    await flushPromises();
    expect(w.emitted('add')).toEqual([[filter]]);
    expect(w.text()).not.toContain('Elige un resultado');
  });

  it('moves the highlight to the second result with ↓ and adds it with Enter', async () => {
    const w = search();
    const input = w.get('[data-test=product-search]');
    await input.setValue('filtro');
    await vi.advanceTimersByTimeAsync(150);
    await input.trigger('keydown', { key: 'ArrowDown' });
    const rows = w.findAll('[data-test=search-result]');
    expect(rows[1]?.classes()).toContain('result--on');
    expect(rows[0]?.classes()).not.toContain('result--on');
    await input.trigger('keydown', { key: 'ArrowDown' });
    await input.trigger('keydown', { key: 'ArrowUp' });
    expect(w.findAll('[data-test=search-result]')[0]?.classes()).toContain('result--on');
    await input.trigger('keydown', { key: 'ArrowDown' });
    await input.trigger('keydown', { key: 'Enter' });
    await flushPromises();
    expect(w.emitted('add')).toEqual([[airFilter]]);
  });

  it('asks to choose when Enter comes before several results were shown', async () => {
    const w = search();
    const input = w.get('[data-test=product-search]');
    await input.setValue('filtro');
    await input.trigger('keydown', { key: 'Enter' });
    await flushPromises();
    expect(w.emitted('add')).toBeUndefined();
    expect(w.text()).toContain('Elige un resultado con ↑ / ↓ y Enter');
    await input.trigger('keydown', { key: 'Enter' });
    await flushPromises();
    expect(w.emitted('add')).toEqual([[filter]]);
  });

  it('goes down to the cart when there is nothing to choose', async () => {
    const w = search();
    await w.get('[data-test=product-search]').trigger('keydown', { key: 'ArrowDown' });
    expect(w.emitted('toCart')).toHaveLength(1);
  });
});
