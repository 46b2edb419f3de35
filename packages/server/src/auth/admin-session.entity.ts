import { Entity, ManyToOne, PrimaryKey, Property } from '@mikro-orm/core';
import { AdminUser } from './admin-user.entity.js';

/** A signed-in browser. Only the SHA-256 of the cookie's token is stored. */
@Entity({ tableName: 'admin_session' })
export class AdminSession {
  @PrimaryKey({ type: 'string', length: 64 })
  tokenHash!: string;

  @ManyToOne(() => AdminUser, { deleteRule: 'cascade' })
  user!: AdminUser;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime' })
  expiresAt!: Date;
}
