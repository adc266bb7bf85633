/** Values shaped like the engine's answers, for the tests. */
import type { HomeContext } from '../src/bindings/HomeContext';
import type { LoggedIn } from '../src/bindings/LoggedIn';
import type { Product } from '../src/bindings/Product';
import type { SessionView } from '../src/bindings/SessionView';

export const cashier: LoggedIn = {
  employee_id: '0190a000-0000-7000-8000-000000000001',
  name: 'María Cajera',
  role: 'cashier',
  branch_id: '0190a000-0000-7000-8000-0000000000b1',
  permissions: ['pos.sell', 'pos.discount', 'CASH.SESSION.OPEN', 'CASH.SESSION.CLOSE', 'CASH.VIEW'],
  max_discount_bp: 500,
};

export const warehouseClerk: LoggedIn = {
  ...cashier,
  employee_id: '0190a000-0000-7000-8000-000000000006',
  name: 'Alberto Almacén',
  role: 'warehouse',
  permissions: ['inventory.view', 'catalog.view'],
  max_discount_bp: 0,
};

export const openSession: SessionView = {
  id: '0190a000-0000-7000-8000-0000000000c1',
  cash_register_id: '0190a000-0000-7000-8000-0000000000a1',
  register_name: 'Caja 1',
  opened_by: cashier.employee_id,
  opened_by_name: cashier.name,
  opening_cents: 50_000,
  status: 'OPEN',
  opened_at: '2025-05-14T15:30:00Z',
  closed_at: null,
  counted_cents: null,
  expected_cents: null,
  difference_cents: null,
};

const caja1 = { id: openSession.cash_register_id, name: 'Caja 1', register_number: 1, branch_name: 'Centro', in_use: false };
const caja2 = { id: '0190a000-0000-7000-8000-0000000000a2', name: 'Caja 2', register_number: 2, branch_name: 'Centro', in_use: true };
const caja3 = { id: '0190a000-0000-7000-8000-0000000000a3', name: 'Caja 3', register_number: 3, branch_name: 'Norte', in_use: false };

export const homes: Record<HomeContext['case'], HomeContext> = {
  open_session: {
    open_cash_session_id: openSession.id,
    assigned_registers_count: 1,
    single_cash_register_id: caja1.id,
    case: 'open_session',
    registers: [caja1],
    session: openSession,
  },
  single_register: {
    open_cash_session_id: null,
    assigned_registers_count: 1,
    single_cash_register_id: caja1.id,
    case: 'single_register',
    registers: [caja1],
    session: null,
  },
  several_registers: {
    open_cash_session_id: null,
    assigned_registers_count: 3,
    single_cash_register_id: null,
    case: 'several_registers',
    // The one in use comes first: the preselection must skip it.
    registers: [caja2, caja1, caja3],
    session: null,
  },
  no_registers: {
    open_cash_session_id: null,
    assigned_registers_count: 0,
    single_cash_register_id: null,
    case: 'no_registers',
    registers: [],
    session: null,
  },
};

export const filter: Product = {
  id: '0190a000-0000-7000-8000-0000000000d1',
  branch_id: null,
  part_number: 'FRAM-PH3614',
  barcode: '7501000000017',
  name: 'Filtro de aceite Fram PH3614',
  brand: 'Fram',
  unit: 'pieza',
  cost_cents: 5_800,
  price_1_cents: 9_500,
  price_2_cents: 8_800,
  price_3_cents: 8_000,
  tax_rate_bp: 1600,
  stock: 40,
  is_active: true,
};

export const airFilter: Product = {
  ...filter,
  id: '0190a000-0000-7000-8000-0000000000d2',
  part_number: 'FRAM-CA10171',
  barcode: '7501000000024',
  name: 'Filtro de aire Fram CA10171',
  price_1_cents: 18_900,
  price_2_cents: 17_500,
  price_3_cents: 16_000,
};
