import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Account } from './account.entity.js';

export const TOKEN_ACCESS = ['read', 'write'] as const;
export type TokenAccess = (typeof TOKEN_ACCESS)[number];

@Entity('api_tokens')
export class ApiToken {
  @PrimaryGeneratedColumn()
  id: number;

  @Index('api_tokens_account_id_idx')
  @Column({ name: 'account_id', type: 'int' })
  accountId: number;

  @ManyToOne(() => Account, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'account_id', foreignKeyConstraintName: 'api_tokens_account_id_fkey' })
  account?: Account;

  @Column({ type: 'text' })
  name: string;

  /** SHA-256 of the secret, hex. The secret itself is never stored. */
  @Index('api_tokens_token_hash_key', { unique: true })
  @Column({ name: 'token_hash', type: 'char', length: 64 })
  tokenHash: string;

  /** Enough of the secret to recognise it in a list, never enough to use it. */
  @Column({ type: 'text' })
  hint: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt: Date | null;

  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt: Date | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  /** The companies the token reaches, or null for every company of its account. */
  @Column({ type: 'int', array: true, nullable: true })
  companies: number[] | null;

  /** `read`: GET requests only; `write`: whatever its account's roles allow. */
  @Column({ type: 'enum', enum: TOKEN_ACCESS, enumName: 'token_access', default: 'write' })
  access: TokenAccess;
}
