import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

@Entity('runtimes')
// At most one default runtime: the partial unique index lets the database enforce it.
@Index('runtimes_single_default', ['isDefault'], { unique: true, where: '"default"' })
export class Runtime {
  @PrimaryGeneratedColumn()
  id: number;

  /** Docker image tag; apps name it in their `image` field. */
  @Index('runtimes_image_key', { unique: true })
  @Column({ type: 'text' })
  image: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ name: 'default', type: 'boolean', default: false })
  isDefault: boolean;

  /** Offered for new apps; hidden runtimes keep serving the apps that use them. */
  @Column({ type: 'boolean', default: true })
  show: boolean;

  @Column({ type: 'text', array: true, default: () => "'{}'" })
  techs: string[];
}
