// What the waiting-list import and long-waiters routes answer with
// (libs/workflow/src/waiting-list/waiting-list-imports.ts, long-waiters.ts).
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { COHORT_BANDS, PRIORITIES } from '#domain';
import { COUNT, DATE, DATE_TIME, ODS, UUID } from './common.js';

export class ImportErrorView {
  @ApiProperty({ type: 'integer', minimum: 2, description: 'Row number as a spreadsheet shows it (the header is row 1)' })
  row!: number;

  @ApiProperty({ type: String, example: 'nhs_number' })
  field!: string;

  @ApiProperty({ type: String, example: 'fails the Modulus 11 check', description: 'Never repeats the value' })
  reason!: string;
}

export class ImportErrorPage {
  @ApiProperty({ type: () => [ImportErrorView], description: 'By row, then field' })
  items!: ImportErrorView[];

  @ApiProperty({ type: String, nullable: true, description: 'Pass as `errorsCursor` for the next page; null on the last' })
  nextCursor!: string | null;
}

export class ImportView {
  @ApiProperty(UUID)
  id!: string;

  @ApiProperty({ enum: ['queued', 'running', 'completed', 'failed'] })
  status!: string;

  @ApiProperty({ enum: ['full', 'partial'] })
  mode!: string;

  @ApiProperty(ODS)
  originOds!: string;

  @ApiProperty({ ...COUNT, description: 'Data rows in the file' })
  rowsTotal!: number;

  @ApiProperty({ ...COUNT, description: 'Rows applied so far' })
  rowsRead!: number;

  @ApiProperty(COUNT)
  accepted!: number;

  @ApiProperty(COUNT)
  rejected!: number;

  @ApiProperty({ ...COUNT, description: 'Open entries a full extract no longer listed' })
  closed!: number;

  @ApiProperty({ type: [String], description: 'Columns of the file that are not ours' })
  ignoredColumns!: string[];

  @ApiProperty({ type: String, nullable: true, description: 'Why a failed import failed' })
  failureReason!: string | null;

  @ApiProperty(DATE_TIME)
  createdAt!: string;

  @ApiProperty({ ...DATE_TIME, nullable: true })
  startedAt!: string | null;

  @ApiProperty({ ...DATE_TIME, nullable: true })
  finishedAt!: string | null;

  @ApiProperty({ type: () => ImportErrorPage, description: 'Field problems, a page at a time (`errorsLimit`, `errorsCursor`)' })
  errors!: ImportErrorPage;

  @ApiProperty({ type: Boolean, description: 'More problems were found than are kept (10,000); the counts stay exact' })
  errorsTruncated!: boolean;
}

export class LongWaiterPatientView {
  @ApiPropertyOptional({ type: String, example: '9434765919', description: 'Staff only' })
  nhsNumber?: string;

  @ApiProperty({ type: String })
  familyName!: string;

  @ApiProperty({ type: String })
  givenName!: string;

  @ApiPropertyOptional({ ...DATE, example: '1956-03-02', description: 'Staff only' })
  dateOfBirth?: string;
}

export class LongWaiterView {
  @ApiProperty({ ...UUID, description: 'The waiting-list entry: POST /v1/referrals {waitingListEntryId} opens a referral from it' })
  id!: string;

  @ApiProperty({ type: String })
  pathwayId!: string;

  @ApiProperty({ type: String, example: '110' })
  specialtyCode!: string;

  @ApiProperty({ type: String, example: 'W371' })
  procedureCode!: string;

  @ApiProperty({ enum: PRIORITIES })
  priority!: string;

  @ApiProperty(DATE)
  rttClockStart!: string;

  @ApiProperty({ ...DATE, nullable: true })
  nextAppointmentDate!: string | null;

  @ApiProperty({ type: 'integer', minimum: 0 })
  weeksWaited!: number;

  @ApiProperty({ type: 'integer', enum: [...COHORT_BANDS], nullable: true, description: 'The highest cohort band (weeks) reached; null under 18 weeks' })
  cohortBand!: number | null;

  @ApiProperty({ type: () => LongWaiterPatientView })
  patient!: LongWaiterPatientView;
}

export class LongWaiterPage {
  @ApiProperty({ type: () => [LongWaiterView], description: 'Longest wait first' })
  items!: LongWaiterView[];

  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null on the last' })
  nextCursor!: string | null;
}
