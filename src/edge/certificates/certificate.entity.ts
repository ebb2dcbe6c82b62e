import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export const CERTIFICATE_STATUSES = ['pending', 'issued', 'failed'] as const;
export type CertificateStatus = (typeof CERTIFICATE_STATUSES)[number];

/**
 * What the edge holds for one HTTPS name: observed (Caddy's own log of its ACME work, and a TLS
 * handshake with the edge), never assumed. A name is redirected from HTTP to HTTPS only while
 * its certificate is `issued` and unexpired, so a certificate that could not be had never takes
 * a site down. Keyed by the name alone: a name belongs to one app on the whole platform.
 */
@Entity('certificates')
export class Certificate {
  @PrimaryColumn({ type: 'text' })
  domain: string;

  @Column({ type: 'enum', enum: CERTIFICATE_STATUSES, enumName: 'certificate_status', default: 'pending' })
  status: CertificateStatus;

  /** When the certificate the edge serves expires (issued). */
  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt: Date | null;

  /** Why the last try failed, as the CA or the edge said it (failed). */
  @Column({ type: 'text', default: '' })
  error: string;

  /** When the edge tries again (failed). */
  @Column({ name: 'retry_at', type: 'timestamptz', nullable: true })
  retryAt: Date | null;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
