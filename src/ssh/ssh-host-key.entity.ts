import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * The gateway's host key: made once, kept for good, shared by every gateway
 * process (clients would otherwise warn of a changed host key).
 */
@Entity('ssh_host_keys')
export class SshHostKey {
  @PrimaryGeneratedColumn()
  id: number;

  /** ssh-ed25519: one key per algorithm. */
  @Index('ssh_host_keys_algorithm_key', { unique: true })
  @Column({ type: 'text' })
  algorithm: string;

  /** OpenSSH private key; secret, never returned by the API or logged. */
  @Column({ name: 'private_key', type: 'text' })
  privateKey: string;

  /** `ssh-ed25519 AAAA...` */
  @Column({ name: 'public_key', type: 'text' })
  publicKey: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
