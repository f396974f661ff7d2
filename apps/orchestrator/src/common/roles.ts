/** Console and API roles, weakest first: each role may do what the ones before it may. */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling: from the token they presented. */
export interface Principal {
  role: Role;
  name: string;
}

/** True when `role` may do what `minimum` may. */
export function hasRole(role: Role, minimum: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(minimum);
}

/** The actor recorded in the audit log: `<role>:<name>`. */
export function actorOf(p: Principal): string {
  return `${p.role}:${p.name}`;
}
