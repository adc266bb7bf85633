/** Which permission opens each part of administration. */
import type { Permission } from '../../bindings/Permission';

export type AdminTab = 'employees' | 'registers' | 'assignments';

export const TAB_PERMISSION: Record<AdminTab, Permission> = {
  employees: 'SECURITY.USERS.MANAGE',
  registers: 'CASH.REGISTER.MANAGE',
  assignments: 'CASH.ASSIGN',
};

/** Holding any of these opens administration. */
export const ADMIN_PERMISSIONS: readonly Permission[] = Object.values(TAB_PERMISSION);
