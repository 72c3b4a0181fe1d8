// What the clinical package routes answer with, and the parts of the referral view they add: the
// package, the attachments' descriptions and the requests for information (the shapes
// libs/workflow/src/referral/clinical-package.ts, information-requests.ts and attachments/ build).
import { ApiProperty } from '@nestjs/swagger';
import { ASA_GRADES, LATERALITIES, REASON_CODE_LISTS } from '#domain';
import { ATTACHMENT_KINDS, ATTACHMENT_MEDIA_TYPES } from '#workflow';
import { DATE_TIME, ODS } from './common.js';

export class CodedConceptView {
  @ApiProperty({ type: String, example: '239873007', description: 'SNOMED CT concept id' })
  code!: string;

  @ApiProperty({ type: String, example: 'Osteoarthritis of knee' })
  text!: string;
}

export class AnticoagulationView {
  @ApiProperty({ type: Boolean })
  taking!: boolean;

  @ApiProperty({ type: String, nullable: true, example: 'Apixaban 5 mg twice daily' })
  medication!: string | null;
}

export class ClinicalInformationView {
  @ApiProperty({ type: () => CodedConceptView, nullable: true })
  diagnosis!: CodedConceptView | null;

  @ApiProperty({ type: String, enum: LATERALITIES, nullable: true })
  laterality!: string | null;

  @ApiProperty({ type: () => [CodedConceptView] })
  comorbidities!: CodedConceptView[];

  @ApiProperty({ type: Number, nullable: true, example: 31.4 })
  bmi!: number | null;

  @ApiProperty({ type: Number, enum: ASA_GRADES, nullable: true, description: 'ASA I to V, as 1 to 5' })
  asaGrade!: number | null;

  @ApiProperty({ type: () => AnticoagulationView, nullable: true })
  anticoagulation!: AnticoagulationView | null;

  @ApiProperty({ type: String, nullable: true })
  mobility!: string | null;

  @ApiProperty({ type: String, nullable: true, description: "The referral letter's text" })
  referralLetter!: string | null;

  @ApiProperty(DATE_TIME)
  updatedAt!: string;
}

export class AttachmentView {
  @ApiProperty({ type: String, format: 'uuid' })
  id!: string;

  @ApiProperty({ type: String, enum: ATTACHMENT_KINDS })
  kind!: string;

  @ApiProperty({ type: String, example: 'knee-xray-report.pdf' })
  filename!: string;

  @ApiProperty({ type: String, enum: ATTACHMENT_MEDIA_TYPES, description: 'Judged from the bytes, not from what was sent' })
  mediaType!: string;

  @ApiProperty({ type: Number, example: 48213 })
  sizeBytes!: number;

  @ApiProperty(DATE_TIME)
  createdAt!: string;
}

export class AttachmentList {
  @ApiProperty({ type: () => [AttachmentView], description: 'Oldest first' })
  items!: AttachmentView[];
}

export class InformationRequestAsker {
  @ApiProperty({ type: String, nullable: true, example: 'Dr Priya Shah' })
  name!: string | null;

  @ApiProperty({ ...ODS, example: 'RJC' })
  ods!: string;
}

export class InformationRequestAnswerer {
  @ApiProperty({ type: String, nullable: true })
  name!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'clinician' })
  role!: string | null;
}

export class InformationRequestView {
  @ApiProperty({ type: String, format: 'uuid' })
  id!: string;

  @ApiProperty({
    type: String,
    enum: ['OPEN', 'ANSWERED', 'CLOSED'],
    description: 'OPEN: the referral waits on the referrer; CLOSED: the receiver decided (or the referral ended) before an answer',
  })
  status!: string;

  @ApiProperty({ type: String })
  question!: string;

  @ApiProperty(DATE_TIME)
  askedAt!: string;

  @ApiProperty({ type: () => InformationRequestAsker })
  askedBy!: InformationRequestAsker;

  @ApiProperty({ type: String, nullable: true })
  answer!: string | null;

  @ApiProperty({ ...DATE_TIME, nullable: true })
  answeredAt!: string | null;

  @ApiProperty({ type: () => InformationRequestAnswerer, nullable: true })
  answeredBy!: InformationRequestAnswerer | null;
}

export class ReasonCodeView {
  @ApiProperty({ type: String, example: 'TREATED_ELSEWHERE' })
  code!: string;

  @ApiProperty({ type: String, example: 'The patient has been treated elsewhere (privately or at another trust)' })
  meaning!: string;
}

export class ReasonCodeLists {
  @ApiProperty({ type: () => [ReasonCodeView], description: 'Why transfer is not suitable (clinical review)' })
  notSuitable!: ReasonCodeView[];

  @ApiProperty({ type: () => [ReasonCodeView], description: 'Why the receiving trust does not accept the transfer of care' })
  rejection!: ReasonCodeView[];

  @ApiProperty({ type: () => [ReasonCodeView], description: 'Why a referral is cancelled' })
  cancellation!: ReasonCodeView[];

  @ApiProperty({ type: () => [ReasonCodeView], description: 'Why the patient withdraws' })
  withdrawal!: ReasonCodeView[];

  @ApiProperty({ type: () => [ReasonCodeView], description: 'Why the referring trust does not take back the follow-up handed back to it' })
  handbackRefusal!: ReasonCodeView[];

  @ApiProperty({
    type: () => [ReasonCodeView],
    description: 'Why an appointment moves to another slot (PATIENT_ codes: the patient asked; HOSPITAL_: the hospital)',
  })
  reschedule!: ReasonCodeView[];

  @ApiProperty({ type: () => [ReasonCodeView], description: 'Why the patient asks to change or cancel an appointment' })
  changeRequest!: ReasonCodeView[];

  @ApiProperty({ type: () => [ReasonCodeView], description: 'Why a referral goes back to the referrer after missed appointments' })
  dnaReturn!: ReasonCodeView[];
}

/** The lists as the API gives them: code and meaning, in the order the file has them. */
export function reasonCodeLists(): ReasonCodeLists {
  const list = (codes: Record<string, string>) => Object.entries(codes).map(([code, meaning]) => ({ code, meaning }));
  return {
    notSuitable: list(REASON_CODE_LISTS.notSuitable),
    rejection: list(REASON_CODE_LISTS.rejection),
    cancellation: list(REASON_CODE_LISTS.cancellation),
    withdrawal: list(REASON_CODE_LISTS.withdrawal),
    handbackRefusal: list(REASON_CODE_LISTS.handbackRefusal),
    reschedule: list(REASON_CODE_LISTS.reschedule),
    changeRequest: list(REASON_CODE_LISTS.changeRequest),
    dnaReturn: list(REASON_CODE_LISTS.dnaReturn),
  };
}
