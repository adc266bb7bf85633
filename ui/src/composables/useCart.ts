/**
 * The sale being rung up: lines, the selected line, the price tier and a
 * preview of the totals with the engine's arithmetic. It outlives the sale
 * screen, so locking the counter or visiting home keeps the cart.
 */
import { computed, ref } from 'vue';

import type { NewSaleLine } from '../bindings/NewSaleLine';
import type { PriceTier } from '../bindings/PriceTier';
import type { Product } from '../bindings/Product';
import { MAX_QUANTITY, priceLine, saleTotals, tierPrice } from '../pricing';

export interface CartLine {
  product: Product;
  quantity: number;
  discountBp: number;
}

const lines = ref<CartLine[]>([]);
const tier = ref<PriceTier>(1);
const selected = ref(-1);

function clampQuantity(quantity: number): number {
  return Math.min(MAX_QUANTITY, Math.max(1, Math.trunc(quantity)));
}

export function useCart() {
  const priced = computed(() =>
    lines.value.map((l) =>
      priceLine({
        unitCents: tierPrice(l.product, tier.value),
        quantity: l.quantity,
        discountBp: l.discountBp,
        taxRateBp: l.product.tax_rate_bp,
      }),
    ),
  );

  return {
    lines,
    tier,
    selected,
    priced,
    totals: computed(() => saleTotals(priced.value)),

    /** Adds one piece; a product already in the cart gets one more. */
    add(product: Product): void {
      const index = lines.value.findIndex((l) => l.product.id === product.id);
      if (index >= 0) {
        const line = lines.value[index]!;
        line.quantity = clampQuantity(line.quantity + 1);
        selected.value = index;
      } else {
        lines.value.push({ product, quantity: 1, discountBp: 0 });
        selected.value = lines.value.length - 1;
      }
    },

    setQuantity(index: number, quantity: number): void {
      const line = lines.value[index];
      if (line) line.quantity = clampQuantity(quantity);
    },

    setDiscount(index: number, bp: number): void {
      const line = lines.value[index];
      if (line) line.discountBp = bp;
    },

    remove(index: number): void {
      lines.value.splice(index, 1);
      selected.value = Math.min(selected.value, lines.value.length - 1);
    },

    select(index: number): void {
      if (lines.value.length === 0) selected.value = -1;
      else selected.value = Math.min(lines.value.length - 1, Math.max(0, index));
    },

    saleLines(): NewSaleLine[] {
      return lines.value.map((l) => ({ product_id: l.product.id, quantity: l.quantity, discount_bp: l.discountBp }));
    },

    clear(): void {
      lines.value = [];
      selected.value = -1;
      tier.value = 1;
    },
  };
}
