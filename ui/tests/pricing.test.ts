import { beforeEach, describe, expect, it } from 'vitest';

import { useCart } from '../src/composables/useCart';
import { percentOf, priceLine, saleTotals } from '../src/pricing';
import { airFilter, filter } from './fixtures';

/** IVA in Mexico: 16 %. */
const IVA_BP = 1600;

const line = (unitCents: number, quantity: number, discountBp: number) =>
  priceLine({ unitCents, quantity, discountBp, taxRateBp: IVA_BP });

describe('a line is priced like the engine prices it', () => {
  it('adds IVA of 16 % to the subtotal', () => {
    expect(line(9_500, 2, 0)).toEqual({ gross: 19_000, discount: 0, subtotal: 19_000, tax: 3_040, total: 22_040 });
  });

  it('rounds the discount and the IVA half up to the cent', () => {
    // 3 × $33.33 with 5 %: discount 4.9995 → 5.00; IVA of 94.99 is 15.1984 → 15.20.
    expect(line(3_333, 3, 500)).toEqual({ gross: 9_999, discount: 500, subtotal: 9_499, tax: 1_520, total: 11_019 });
    // 1 % of 50¢ is exactly half a cent: up; of 49¢ it is less: down.
    expect(percentOf(50, 100)).toBe(1);
    expect(percentOf(49, 100)).toBe(0);
  });

  it('stays exact where cents × hundredths passes 2^53', () => {
    expect(percentOf(999_999_999_999, 9_999)).toBe(999_899_999_999);
  });
});

describe('the sale totals are the sums of their lines', () => {
  it('keeps total = subtotal − discount + IVA', () => {
    const lines = [line(9_500, 2, 0), line(3_333, 3, 500), line(1, 1, 0)];
    const t = saleTotals(lines);
    expect(t).toEqual({ subtotal: 29_000, discount_total: 500, tax_total: 4_560, total: 33_060 });
    expect(t.total).toBe(t.subtotal - t.discount_total + t.tax_total);
  });
});

describe('the cart preview', () => {
  const cart = useCart();
  beforeEach(() => cart.clear());

  it('adds a product again as one more piece and prices the chosen tier', () => {
    cart.add(filter);
    cart.add(airFilter);
    cart.add(filter);
    expect(cart.lines.value.map((l) => l.quantity)).toEqual([2, 1]);
    expect(cart.selected.value).toBe(0);
    // 2 × 95.00 + 189.00 = 379.00, IVA 60.64
    expect(cart.totals.value).toEqual({ subtotal: 37_900, discount_total: 0, tax_total: 6_064, total: 43_964 });
    cart.tier.value = 3;
    // 2 × 80.00 + 160.00 = 320.00, IVA 51.20
    expect(cart.totals.value.total).toBe(37_120);
  });

  it('applies a line discount and keeps quantities within 1 to 9,999', () => {
    cart.add(filter);
    cart.setDiscount(0, 500);
    expect(cart.totals.value).toEqual({ subtotal: 9_500, discount_total: 475, tax_total: 1_444, total: 10_469 });
    cart.setQuantity(0, 0);
    expect(cart.lines.value[0]?.quantity).toBe(1);
    cart.setQuantity(0, 12_345);
    expect(cart.lines.value[0]?.quantity).toBe(9_999);
    expect(cart.saleLines()).toEqual([{ product_id: filter.id, quantity: 9_999, discount_bp: 500 }]);
  });
});
