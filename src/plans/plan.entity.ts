import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** numeric comes back from pg as a string; prices are small enough for a JS number. */
const decimal = { to: (v: number) => v, from: (v: string | null) => (v === null ? null : Number(v)) };

@Entity('plans')
export class Plan {
  @PrimaryGeneratedColumn()
  id: number;

  @Index('plans_name_key', { unique: true })
  @Column({ type: 'text' })
  name: string;

  /** Memory limit in MB. */
  @Column({ type: 'int' })
  ram: number;

  /** Disk quota of /srv in GB. */
  @Column({ type: 'int' })
  disk: number;

  /** CPU in percent of one core (200 = two cores). */
  @Column({ name: 'cpu_quota', type: 'int' })
  cpuQuota: number;

  /** Price per month. */
  @Column({ type: 'numeric', precision: 10, scale: 2, transformer: decimal })
  price: number;
}
