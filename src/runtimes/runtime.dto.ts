import { ApiProperty } from '@nestjs/swagger';

export class RuntimeDto {
  @ApiProperty({ type: 'integer' })
  id: number;
  /** Docker image tag; the value of an app's `image` field. */
  image: string;
  /** The runtime new apps get when they name none. */
  default: boolean;
  /** Offered for new apps. */
  show: boolean;
  name: string;
  /** Technologies the image carries, e.g. "node", "python". */
  techs: string[];
}
