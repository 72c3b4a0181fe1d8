// What the capacity and matching-run routes answer with (libs/workflow/src/capacity.service.ts,
// matching-runs.service.ts).
import { ApiProperty } from '@nestjs/swagger';
import { COHORT_BANDS, PRIORITIES } from '#domain';
import { COUNT, DATE, DATE_TIME, ODS, UUID } from './common.js';

export class CapacityWeekView {
  @ApiProperty({ ...DATE, description: 'A Monday' })
  weekStart!: string;

  @ApiProperty(COUNT)
  slots!: number;

  @ApiProperty({ ...COUNT, description: 'Taken by accepted offers (may exceed slots after they were lowered)' })
  used!: number;

  @ApiProperty(COUNT)
  free!: number;
}

export class SlotTotals {
  @ApiProperty(COUNT)
  slots!: number;

  @ApiProperty(COUNT)
  used!: number;

  @ApiProperty(COUNT)
  free!: number;
}

export class CapacityDeclarationView {
  @ApiProperty({ ...ODS, description: 'The declaring trust' })
  ods!: string;

  @ApiProperty({ type: String, example: '110' })
  specialtyCode!: string;

  @ApiProperty(ODS)
  siteOds!: string;

  @ApiProperty({ ...UUID, description: 'The service of the site the slots are for' })
  serviceId!: string;

  @ApiProperty({ type: String, example: 'Upper limb surgery' })
  serviceName!: string;

  @ApiProperty({ type: Boolean, description: "The site's default service for the treatment function (what a declaration without serviceId sets)" })
  defaultService!: boolean;

  @ApiProperty(COUNT)
  weeklySlots!: number;

  @ApiProperty(DATE)
  fromDate!: string;

  @ApiProperty(DATE)
  toDate!: string;

  @ApiProperty(DATE_TIME)
  updatedAt!: string;

  @ApiProperty({ type: () => SlotTotals, description: 'Over the weeks shown' })
  totals!: SlotTotals;

  @ApiProperty({ type: () => [CapacityWeekView], description: 'From this week on' })
  weeks!: CapacityWeekView[];
}

export class CapacityList {
  @ApiProperty({ type: () => [CapacityDeclarationView], description: 'By specialty, trust and site' })
  items!: CapacityDeclarationView[];

  @ApiProperty({ type: String, nullable: true, description: 'Always null: every declaration is on the one page' })
  nextCursor!: string | null;
}

export class MatchingParamsView {
  @ApiProperty({ type: String, example: '110' })
  specialtyCode!: string;

  @ApiProperty(COUNT)
  minWeeks!: number;

  @ApiProperty({ type: Number })
  radiusMiles!: number;

  @ApiProperty({ type: 'integer', minimum: 1 })
  horizonWeeks!: number;
}

export class MatchingHorizonView {
  @ApiProperty(DATE)
  fromWeek!: string;

  @ApiProperty(DATE)
  toWeek!: string;

  @ApiProperty({ type: 'integer', minimum: 1 })
  weeks!: number;
}

export class NotPlacedView {
  @ApiProperty({ ...COUNT, description: "The patient's postcode district has no known position" })
  unknownLocation!: number;

  @ApiProperty({ ...COUNT, description: 'No site of another trust with room within radiusMiles' })
  noSiteWithinRadius!: number;
}

export class BandView {
  @ApiProperty({ type: 'integer', enum: [...COHORT_BANDS] })
  band!: number;

  @ApiProperty({ ...COUNT, description: 'Patients of the cohort waiting at least this many weeks' })
  waiting!: number;

  @ApiProperty({ ...COUNT, description: 'Of them, placed by the proposal' })
  cleared!: number;

  @ApiProperty(COUNT)
  remaining!: number;
}

export class ReceivingTrustCount {
  @ApiProperty(ODS)
  receivingOds!: string;

  @ApiProperty(COUNT)
  patients!: number;
}

export class OriginTrustCount {
  @ApiProperty(ODS)
  originOds!: string;

  @ApiProperty(COUNT)
  patients!: number;
}

export class DestinationCount {
  @ApiProperty(ODS)
  receivingOds!: string;

  @ApiProperty(ODS)
  siteOds!: string;

  @ApiProperty(DATE)
  weekStart!: string;

  @ApiProperty(COUNT)
  patients!: number;
}

export class PlacementView {
  @ApiProperty({ ...UUID, description: 'The waiting-list entry (no names)' })
  entryId!: string;

  @ApiProperty(ODS)
  originOds!: string;

  @ApiProperty(COUNT)
  weeksWaited!: number;

  @ApiProperty({ enum: PRIORITIES })
  priority!: string;

  @ApiProperty(ODS)
  receivingOds!: string;

  @ApiProperty(ODS)
  siteOds!: string;

  @ApiProperty(DATE)
  weekStart!: string;

  @ApiProperty({ type: Number })
  distanceMiles!: number;
}

export class MatchingResultView {
  @ApiProperty(DATE)
  asOf!: string;

  @ApiProperty({ type: String })
  specialtyCode!: string;

  @ApiProperty(COUNT)
  minWeeks!: number;

  @ApiProperty({ type: Number })
  radiusMiles!: number;

  @ApiProperty({ type: () => MatchingHorizonView })
  horizon!: MatchingHorizonView;

  @ApiProperty(COUNT)
  freeSlots!: number;

  @ApiProperty({ ...COUNT, description: 'Open, unreferred entries of every trust waiting at least minWeeks' })
  cohortSize!: number;

  @ApiProperty(COUNT)
  proposed!: number;

  @ApiProperty(COUNT)
  slotsLeft!: number;

  @ApiProperty({ ...COUNT, description: 'Entries looked at' })
  scanned!: number;

  @ApiProperty({ type: () => NotPlacedView })
  notPlaced!: NotPlacedView;

  @ApiProperty({ type: () => [BandView] })
  bands!: BandView[];

  @ApiProperty({ type: () => [ReceivingTrustCount] })
  byReceivingTrust!: ReceivingTrustCount[];

  @ApiProperty({ type: () => [OriginTrustCount] })
  byOriginTrust!: OriginTrustCount[];

  @ApiProperty({ type: () => [DestinationCount] })
  byDestination!: DestinationCount[];

  @ApiProperty({ type: () => [PlacementView], description: "Who would go where: the caller's own trust's entries only" })
  placements!: PlacementView[];
}

export class MatchingRunView {
  @ApiProperty(UUID)
  id!: string;

  @ApiProperty(DATE_TIME)
  createdAt!: string;

  @ApiProperty({ type: String })
  createdBy!: string;

  @ApiProperty(COUNT)
  durationMs!: number;

  @ApiProperty({ type: () => MatchingParamsView })
  params!: MatchingParamsView;

  @ApiProperty({ type: () => MatchingResultView })
  result!: MatchingResultView;
}
