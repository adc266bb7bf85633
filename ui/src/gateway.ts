/**
 * The one door to the terminal engine: a typed function per command of the
 * desktop shell. Nothing else imports `invoke` or spells a command name, so
 * a renamed or new Rust command shows up here (and in the coverage test)
 * instead of as a string failing at run time somewhere in a screen.
 *
 * Tauri names top-level arguments in camelCase (`session_id` is
 * `sessionId`); struct arguments keep the serde snake_case of the generated
 * types.
 */
import { invoke } from '@tauri-apps/api/core';

import type { Assignment } from './bindings/Assignment';
import type { AssignmentFilter } from './bindings/AssignmentFilter';
import type { AuditVerification } from './bindings/AuditVerification';
import type { CancelSale } from './bindings/CancelSale';
import type { CloseSession } from './bindings/CloseSession';
import type { CommandName } from './bindings/commands';
import type { CreatedEmployee } from './bindings/CreatedEmployee';
import type { Customer } from './bindings/Customer';
import type { Employee } from './bindings/Employee';
import type { EmployeeChanges } from './bindings/EmployeeChanges';
import type { EmployeeId } from './bindings/EmployeeId';
import type { Enrollment } from './bindings/Enrollment';
import type { ErrorBody } from './bindings/ErrorBody';
import type { HomeContext } from './bindings/HomeContext';
import type { IssuedPin } from './bindings/IssuedPin';
import type { Layaway } from './bindings/Layaway';
import type { LoggedIn } from './bindings/LoggedIn';
import type { Movement } from './bindings/Movement';
import type { NewAssignment } from './bindings/NewAssignment';
import type { NewCustomer } from './bindings/NewCustomer';
import type { NewEmployee } from './bindings/NewEmployee';
import type { NewLayaway } from './bindings/NewLayaway';
import type { NewLayawayPayment } from './bindings/NewLayawayPayment';
import type { NewMovement } from './bindings/NewMovement';
import type { NewRegister } from './bindings/NewRegister';
import type { NewSale } from './bindings/NewSale';
import type { OpenSession } from './bindings/OpenSession';
import type { OutboxStatus } from './bindings/OutboxStatus';
import type { PinChange } from './bindings/PinChange';
import type { Product } from './bindings/Product';
import type { Receipt } from './bindings/Receipt';
import type { Register } from './bindings/Register';
import type { RegisterChanges } from './bindings/RegisterChanges';
import type { SessionView } from './bindings/SessionView';
import type { SetupSummary } from './bindings/SetupSummary';
import type { StandaloneSetup } from './bindings/StandaloneSetup';
import type { TerminalStatus } from './bindings/TerminalStatus';
import type { ZReport } from './bindings/ZReport';

/** A refusal of the engine (or of the IPC bridge), by stable code. */
export class ApiError extends Error {
  readonly code: string;
  /** Seconds to wait before trying again, for throttled logins. */
  readonly retryAfterSecs: number | null;

  constructor(code: string, message: string, retryAfterSecs: number | null = null) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.retryAfterSecs = retryAfterSecs;
  }
}

/** The code of failures that never reached the engine (bridge missing, bad arguments). */
const IPC_ERROR = 'ipc';

function isErrorBody(value: unknown): value is ErrorBody {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.code === 'string' && typeof v.message === 'string';
}

/**
 * Commands reject with an `ErrorBody`; the bridge itself rejects with a
 * string (an unknown command, arguments that do not deserialise) or throws
 * when there is no Tauri host at all.
 */
export function toApiError(rejection: unknown): ApiError {
  if (rejection instanceof ApiError) return rejection;
  if (isErrorBody(rejection)) {
    return new ApiError(rejection.code, rejection.message, rejection.retry_after_secs ?? null);
  }
  if (typeof rejection === 'string') return new ApiError(IPC_ERROR, rejection);
  if (rejection instanceof Error) return new ApiError(IPC_ERROR, rejection.message);
  return new ApiError(IPC_ERROR, String(rejection));
}

/** Codes meaning nobody is logged in at the counter any more. */
const SESSION_LOST = new Set(['session_locked', 'not_logged_in']);

type SessionLostListener = (error: ApiError) => void;
const sessionLostListeners = new Set<SessionLostListener>();

/**
 * Called whenever any command answers that the counter is locked or nobody
 * is logged in, so the app can return to the PIN pad from wherever it is.
 */
export function onSessionLost(listener: SessionLostListener): () => void {
  sessionLostListeners.add(listener);
  return () => sessionLostListeners.delete(listener);
}

/**
 * Commands that only read. Every other command that succeeds may have
 * committed an operation for central, so the pending count is looked at
 * again; a new command counts as committing until it is listed here.
 */
const READS: ReadonlySet<CommandName> = new Set<CommandName>([
  'status',
  'theme',
  'ui_ready',
  'verify_audit',
  'outbox_status',
  'sync_now',
  'current',
  'home',
  'session_report',
  'search_products',
  'receipt',
  'layaways',
  'employees',
  'registers',
  'assignments',
]);

type CommittedListener = (cmd: CommandName) => void;
const committedListeners = new Set<CommittedListener>();

/**
 * Called after every command that succeeded and is not a read: the status
 * bar refreshes its pending count when an action commits, not only on its
 * timer.
 */
export function onCommitted(listener: CommittedListener): () => void {
  committedListeners.add(listener);
  return () => committedListeners.delete(listener);
}

async function call<T>(cmd: CommandName, args?: Record<string, unknown>): Promise<T> {
  try {
    const answer = await invoke<T>(cmd, args);
    if (!READS.has(cmd)) committedListeners.forEach((l) => l(cmd));
    return answer;
  } catch (rejection) {
    const error = toApiError(rejection);
    if (SESSION_LOST.has(error.code)) sessionLostListeners.forEach((l) => l(error));
    throw error;
  }
}

// system
export const status = () => call<TerminalStatus>('status');
export const theme = () => call<Record<string, string>>('theme');
export const uiReady = () => call<number>('ui_ready');
export const verifyAudit = () => call<AuditVerification>('verify_audit');
export const outboxStatus = () => call<OutboxStatus>('outbox_status');

// setup
export const setupStandalone = (input: StandaloneSetup) => call<SetupSummary>('setup_standalone', { input });
export const setupDemo = () => call<SetupSummary>('setup_demo');

// sync
export const enroll = (input: Enrollment) => call<TerminalStatus>('enroll', { input });
export const syncNow = () => call<TerminalStatus>('sync_now');

// access
export const login = (pin: string) => call<LoggedIn>('login', { pin });
export const lock = () => call<void>('lock');
export const logout = () => call<void>('logout');
export const current = () => call<LoggedIn | null>('current');
export const setAutoLock = (secs: number) => call<void>('set_auto_lock', { secs });
export const setPinLength = (length: number | null) => call<void>('set_pin_length', { length });
export const changeOwnPin = (input: PinChange) => call<void>('change_own_pin', { input });

// cash
export const home = () => call<HomeContext>('home');
export const openSession = (input: OpenSession) => call<SessionView>('open_session', { input });
export const closeSession = (input: CloseSession) => call<ZReport>('close_session', { input });
export const sessionReport = (sessionId: string) => call<ZReport>('session_report', { sessionId });
export const moveCash = (input: NewMovement) => call<Movement>('move_cash', { input });

// sales
export const searchProducts = (query: string, limit: number) =>
  call<Product[]>('search_products', { query, limit });
export const sell = (input: NewSale) => call<Receipt>('sell', { input });
export const cancelSale = (input: CancelSale) => call<Receipt>('cancel_sale', { input });
export const receipt = (saleId: string) => call<Receipt>('receipt', { saleId });
export const createCustomer = (input: NewCustomer) => call<Customer>('create_customer', { input });
export const createLayaway = (input: NewLayaway) => call<Layaway>('create_layaway', { input });
export const payLayaway = (input: NewLayawayPayment) => call<Layaway>('pay_layaway', { input });
export const layaways = () => call<Layaway[]>('layaways');

// admin
export const employees = (includeInactive: boolean) => call<Employee[]>('employees', { includeInactive });
export const createEmployee = (input: NewEmployee) => call<CreatedEmployee>('create_employee', { input });
export const updateEmployee = (id: EmployeeId, changes: EmployeeChanges) =>
  call<Employee>('update_employee', { id, changes });
export const deactivateEmployee = (id: EmployeeId) => call<Employee>('deactivate_employee', { id });
export const resetPin = (id: EmployeeId) => call<IssuedPin>('reset_pin', { id });
export const registers = () => call<Register[]>('registers');
export const createRegister = (input: NewRegister) => call<Register>('create_register', { input });
export const updateRegister = (id: string, changes: RegisterChanges) =>
  call<Register>('update_register', { id, changes });
export const assignments = (filter: AssignmentFilter) => call<Assignment[]>('assignments', { filter });
export const assignRegister = (input: NewAssignment) => call<Assignment>('assign_register', { input });
export const setAssignmentActive = (id: string, active: boolean) =>
  call<Assignment>('set_assignment_active', { id, active });

/**
 * Every command with its function. `satisfies` turns a command of the
 * generated list without a function here into a type error, and the
 * coverage test checks each function calls its own command.
 */
export const byCommand = {
  status,
  theme,
  ui_ready: uiReady,
  verify_audit: verifyAudit,
  outbox_status: outboxStatus,
  setup_standalone: setupStandalone,
  setup_demo: setupDemo,
  enroll,
  sync_now: syncNow,
  login,
  lock,
  logout,
  current,
  set_auto_lock: setAutoLock,
  set_pin_length: setPinLength,
  change_own_pin: changeOwnPin,
  home,
  open_session: openSession,
  close_session: closeSession,
  session_report: sessionReport,
  move_cash: moveCash,
  search_products: searchProducts,
  sell,
  cancel_sale: cancelSale,
  receipt,
  create_customer: createCustomer,
  create_layaway: createLayaway,
  pay_layaway: payLayaway,
  layaways,
  employees,
  create_employee: createEmployee,
  update_employee: updateEmployee,
  deactivate_employee: deactivateEmployee,
  reset_pin: resetPin,
  registers,
  create_register: createRegister,
  update_register: updateRegister,
  assignments,
  assign_register: assignRegister,
  set_assignment_active: setAssignmentActive,
} as const satisfies Record<CommandName, (...args: never[]) => Promise<unknown>>;

export const commandsCovered = Object.keys(byCommand) as CommandName[];
