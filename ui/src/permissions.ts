/**
 * Who may press what. The engine checks every permission itself; the UI
 * only disables what would be refused and says why.
 */
import type { LoggedIn } from './bindings/LoggedIn';
import type { Permission } from './bindings/Permission';
import type { Role } from './bindings/Role';

/** The owner holds every permission implicitly, as in the engine. */
export function holds(user: LoggedIn | null, permission: Permission): boolean {
  return user !== null && (user.role === 'owner' || user.permissions.includes(permission));
}

/** Why an action is unavailable, or `null` when it is. */
export function requirement(user: LoggedIn | null, permission: Permission): string | null {
  return holds(user, permission) ? null : `Requiere permiso ${permission}`;
}

export const ROLE_NAMES: Record<Role, string> = {
  owner: 'Dueño',
  admin: 'Administrador',
  cashier: 'Cajero',
  warehouse: 'Almacén',
  accountant: 'Contador',
};
