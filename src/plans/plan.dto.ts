import { ApiProperty } from '@nestjs/swagger';

export class PlanDto {
  @ApiProperty({ type: 'integer' })
  id: number;
  name: string;
  /** Memory limit in MB. */
  @ApiProperty({ type: 'integer' })
  ram: number;
  /** Disk quota in GB. */
  @ApiProperty({ type: 'integer' })
  disk: number;
  /** CPU in percent of one core (200 = two cores). */
  @ApiProperty({ type: 'integer' })
  cpu_quota: number;
  /** Price per month, a whole number. */
  @ApiProperty({ type: 'integer' })
  price: number;
}
