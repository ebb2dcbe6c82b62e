import { ApiProperty } from '@nestjs/swagger';

/** The DNS record that proves control of a domain. */
export class ChallengeRecordDto {
  @ApiProperty({ enum: ['TXT'] })
  type: 'TXT';
  /** `_berth-challenge.<domain>`. */
  name: string;
  value: string;
}

export class DomainDto {
  /** Lower case, punycode. Verifying it covers its subdomains and `*.<domain>`. */
  domain: string;
  /** unverified: create `record`, then ask to verify again; verified: the company's apps are routed by it. */
  @ApiProperty({ enum: ['unverified', 'verified'] })
  status: 'unverified' | 'verified';
  record: ChallengeRecordDto;
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true })
  verified_at: Date | null;
  created_at: Date;
}
