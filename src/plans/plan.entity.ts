import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

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

  /** Price per month, a whole number (Rosti's client decodes it as an unsigned integer). */
  @Column({ type: 'int' })
  price: number;
}
