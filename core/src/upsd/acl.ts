/**
 * upsd.users checks (server/user.c): the user is found by exact name, the password must be
 * set and equal, then the action or instant command is looked up case-insensitively.
 */
import type { UpsUser } from './config.js';

export class UserTable {
  constructor(private users: Map<string, UpsUser> = new Map()) {}

  replace(users: Map<string, UpsUser>): void {
    this.users = users;
  }

  get size(): number {
    return this.users.size;
  }

  private authenticated(username: string | undefined, password: string | undefined): UpsUser | undefined {
    if (username === undefined || password === undefined) return undefined;
    const user = this.users.get(username);
    if (!user || user.password === undefined || user.password !== password) return undefined;
    return user;
  }

  /** The password is right for this user (whatever the user may do). */
  authenticates(username: string | undefined, password: string | undefined): boolean {
    return this.authenticated(username, password) !== undefined;
  }

  checkAction(username: string | undefined, password: string | undefined, action: string): boolean {
    return this.authenticated(username, password)?.actions.has(action.toLowerCase()) ?? false;
  }

  checkInstcmd(username: string | undefined, password: string | undefined, command: string): boolean {
    const user = this.authenticated(username, password);
    if (!user) return false;
    return user.instcmds.has('all') || user.instcmds.has(command.toLowerCase());
  }
}
