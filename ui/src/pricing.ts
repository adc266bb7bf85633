/**
 * The sale arithmetic of the engine, to show totals while the cart is
 * built: each line is priced on its own (gross, discount, subtotal, IVA)
 * with half-up rounding to the cent, and the sale's totals are the sums of
 * its lines. The receipt the engine returns is what counts.
 */
import type { PriceTier } from './bindings/PriceTier';
import type { Product } from './bindings/Product';
import type { SaleTotals } from './bindings/SaleTotals';

/** The largest quantity of one line. */
export const MAX_QUANTITY = 9_999;

/** `amount × bp / 10000` rounded half up; exact even past 2^53. */
export function percentOf(cents: number, bp: number): number {
  return Number((BigInt(cents) * BigInt(bp) + 5_000n) / 10_000n);
}

export interface LineInput {
  unitCents: number;
  quantity: number;
  discountBp: number;
  taxRateBp: number;
}

export interface PricedLine {
  gross: number;
  discount: number;
  subtotal: number;
  tax: number;
  total: number;
}

export function priceLine(line: LineInput): PricedLine {
  const gross = line.unitCents * line.quantity;
  const discount = percentOf(gross, line.discountBp);
  const subtotal = gross - discount;
  const tax = percentOf(subtotal, line.taxRateBp);
  return { gross, discount, subtotal, tax, total: subtotal + tax };
}

export function saleTotals(lines: readonly PricedLine[]): SaleTotals {
  const sum = (pick: (l: PricedLine) => number) => lines.reduce((acc, l) => acc + pick(l), 0);
  return {
    subtotal: sum((l) => l.gross),
    discount_total: sum((l) => l.discount),
    tax_total: sum((l) => l.tax),
    total: sum((l) => l.total),
  };
}

/** The product's price before IVA in a tier. */
export function tierPrice(product: Product, tier: PriceTier): number {
  switch (tier) {
    case 1:
      return product.price_1_cents;
    case 2:
      return product.price_2_cents;
    case 3:
      return product.price_3_cents;
  }
}

export const TIER_NAMES: Record<PriceTier, string> = { 1: 'Mostrador', 2: 'Taller', 3: 'Mayoreo' };
