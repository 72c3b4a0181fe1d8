// What the service directory, postcode and group routes answer with (libs/workflow/src/directory, postcodes).
import { ApiProperty } from '@nestjs/swagger';
import { COUNT, DATE_TIME, ODS, UUID } from './common.js';

export class ServiceExclusionsView {
  @ApiProperty({ type: Number, nullable: true, example: 40 })
  maxBmi!: number | null;

  @ApiProperty({ type: 'integer', nullable: true, example: 3 })
  maxAsaGrade!: number | null;

  @ApiProperty({ type: 'integer', nullable: true, example: 18 })
  minAgeYears!: number | null;
}

export class ServiceView {
  @ApiProperty(UUID)
  id!: string;

  @ApiProperty(ODS)
  trustOds!: string;

  @ApiProperty(ODS)
  siteOds!: string;

  @ApiProperty({ type: String, example: '110' })
  treatmentFunction!: string;

  @ApiProperty({ type: String, example: 'Upper limb surgery' })
  name!: string;

  @ApiProperty({ type: [String], example: ['O06-O08', 'T52-T54'], description: 'Empty: every procedure of the treatment function' })
  procedures!: string[];

  @ApiProperty({ type: () => ServiceExclusionsView })
  exclusions!: ServiceExclusionsView;

  @ApiProperty({ type: String, nullable: true })
  bookingGuidance!: string | null;

  @ApiProperty({ type: Boolean, description: 'Made by a capacity declaration that named no service: every procedure, no exclusions until an admin changes it' })
  isDefault!: boolean;

  @ApiProperty({ type: String })
  updatedBy!: string;

  @ApiProperty(DATE_TIME)
  updatedAt!: string;
}

export class SiteView {
  @ApiProperty(ODS)
  ods!: string;

  @ApiProperty(ODS)
  trustOds!: string;

  @ApiProperty({ type: String, example: 'Stratford Hospital' })
  name!: string;

  @ApiProperty({ type: String, nullable: true, example: 'Arden Street, Stratford-upon-Avon' })
  address!: string | null;

  @ApiProperty({ type: String, example: 'CV37 6NX' })
  postcode!: string;

  @ApiProperty({ type: String, nullable: true, example: '01632 960 202', description: "The site's booking line, else the trust's" })
  bookingPhone!: string | null;

  @ApiProperty({ type: Boolean })
  mainSite!: boolean;

  @ApiProperty(DATE_TIME)
  updatedAt!: string;

  @ApiProperty({ type: () => [ServiceView] })
  services!: ServiceView[];
}

export class SiteList {
  @ApiProperty({ type: () => [SiteView] })
  items!: SiteView[];
}

export class PostcodeProblemView {
  @ApiProperty({ type: 'integer', description: 'Row number (the header is row 1)' })
  row!: number;

  @ApiProperty({ type: String })
  reason!: string;
}

export class PostcodeLoadView {
  @ApiProperty({ ...COUNT, description: 'Data rows read' })
  rows!: number;

  @ApiProperty({ ...COUNT, description: 'Live postcodes loaded (added or updated)' })
  loaded!: number;

  @ApiProperty({ ...COUNT, description: 'Terminated postcodes (doterm set): skipped, and removed where loaded before' })
  terminated!: number;

  @ApiProperty({ ...COUNT, description: 'Rows with no usable postcode or coordinates' })
  rejected!: number;

  @ApiProperty({ ...COUNT, description: 'Postcode districts whose centroid was recomputed' })
  districts!: number;

  @ApiProperty({ type: () => [PostcodeProblemView], description: 'The first 100 rejected rows' })
  problems!: PostcodeProblemView[];
}

export class GroupMemberView {
  @ApiProperty(ODS)
  ods!: string;

  @ApiProperty({ type: String })
  name!: string;

  @ApiProperty({ type: String })
  addedBy!: string;

  @ApiProperty(DATE_TIME)
  addedAt!: string;
}

export class GroupView {
  @ApiProperty({ type: String, example: 'foundation' })
  id!: string;

  @ApiProperty({ type: String, example: 'Foundation Group' })
  name!: string;

  @ApiProperty({ type: () => [GroupMemberView] })
  members!: GroupMemberView[];
}

export class AddedTrustView {
  @ApiProperty(ODS)
  ods!: string;

  @ApiProperty({ type: String })
  name!: string;

  @ApiProperty({ type: String })
  groupId!: string;

  @ApiProperty(ODS)
  mainSiteOds!: string;
}
