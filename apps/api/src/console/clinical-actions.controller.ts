// The referral page's forms for the clinical package, through the same use cases as the API: the
// referring trust records the package and adds attachments; the receiving clinician makes a request
// for information or returns the referral to the referrer with advice; the referring trust answers
// the request for information. And the attachment download (a clinician's; audited as the API's).
import { Controller, Get, Inject, Param, Post, Req, Res, StreamableFile, UseFilters, UseGuards } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { APP_CONFIG, type AppConfig } from '#config';
import { CLINICAL_TEXT_ROLES, Public } from '#auth';
import {
  ASA_GRADES,
  CLINICAL_INFORMATION_FIELDS,
  LATERALITIES,
  clinicalInformationProblems,
  isUuid,
  sctidProblem,
  type ClinicalInformation,
  type Laterality,
} from '#domain';
import {
  ATTACHMENT_KINDS,
  AttachmentTypeError,
  Attachments,
  ClinicalPackage,
  InformationRequests,
  TransferOfCare,
  UploadRefusedError,
  type AttachmentKind,
} from '#workflow';
import { ConsoleAccess, ConsoleGuard, ConsolePageError, ConsoleUpload } from './console-access.js';
import { ConsoleErrorsFilter } from './console-errors.filter.js';
import type { ConsoleRequest, ConsoleResponse } from './console-request.js';
import { seeOther } from './console-render.js';
import { UploadFormError, dropsConnection, receiveUpload } from './console-upload.js';
import { FormErrors, ReferralForms, check, formText as text, type FieldError, type Form } from './referral-form.js';

export const CLINICAL_DONE: Record<string, string> = {
  'clinical-information': 'Clinical information saved',
  'request-information': 'Request for information sent to the referrer',
  'answer-information': 'Answer sent to the receiving clinician',
  attachment: 'Attachment added',
};

/**
 * The clinical package form as the use case takes it. `clearBlank`: a blank field clears what is
 * held (a clinician, who sees it); otherwise a blank field is left as it is (a booking clerk, whose
 * page does not show the package, adds to it and never clears it by not seeing it).
 */
export function packageFromForm(form: Form, errors: FieldError[], clearBlank: boolean): ClinicalInformation {
  const diagnosisCode = text(form, 'diagnosisCode');
  const diagnosisText = text(form, 'diagnosisText');
  if (diagnosisCode || diagnosisText) {
    check(errors, sctidProblem(diagnosisCode) === null, 'diagnosisCode', 'Enter the diagnosis as a SNOMED CT concept id, for example 239873007');
    check(errors, diagnosisText.length > 0, 'diagnosisText', 'Enter the diagnosis in words');
  }
  // One comorbidity a line: "code text", for example "38341003 Hypertension".
  const comorbidities = text(form, 'comorbidities')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const m = /^(\d+)\s+(.+)$/.exec(l);
      return m ? { code: m[1], text: m[2] } : { code: '', text: l };
    });
  comorbidities.forEach((c, i) =>
    check(
      errors,
      sctidProblem(c.code) === null,
      'comorbidities',
      `Line ${i + 1} of comorbidities must start with a SNOMED CT concept id, for example 38341003 Hypertension`,
    ),
  );
  const laterality = text(form, 'laterality');
  check(errors, !laterality || (LATERALITIES as readonly string[]).includes(laterality), 'laterality', 'Select the side');
  const bmiText = text(form, 'bmi');
  const bmi = bmiText ? Number(bmiText) : null;
  check(
    errors,
    bmi === null || (Number.isFinite(bmi) && bmi >= 10 && bmi <= 100 && /^\d+(\.\d)?$/.test(bmiText)),
    'bmi',
    'Enter the BMI as a number from 10 to 100, for example 31.4',
  );
  const asaText = text(form, 'asaGrade');
  const asaGrade = asaText ? Number(asaText) : null;
  check(errors, asaGrade === null || (ASA_GRADES as readonly number[]).includes(asaGrade), 'asaGrade', 'Select the ASA grade');
  const anticoagulated = text(form, 'anticoagulated');
  const medication = text(form, 'anticoagulant');
  check(errors, anticoagulated !== 'yes' || medication.length > 0, 'anticoagulant', 'Enter which anticoagulant the patient takes');
  const mobility = text(form, 'mobility');
  const referralLetter = text(form, 'referralLetter');
  const ci: ClinicalInformation = {
    diagnosis: diagnosisCode ? { code: diagnosisCode, text: diagnosisText } : null,
    laterality: (laterality || null) as Laterality | null,
    comorbidities,
    bmi,
    asaGrade,
    anticoagulation: anticoagulated === 'yes' ? { taking: true, medication } : anticoagulated === 'no' ? { taking: false } : null,
    mobility: mobility || null,
    referralLetter: referralLetter || null,
  };
  const sent = clearBlank
    ? ci
    : (Object.fromEntries(
        Object.entries(ci).filter(([k, v]) => v !== null && !(k === 'comorbidities' && (v as unknown[]).length === 0)),
      ) as ClinicalInformation);
  // The domain's limits (lengths, how many) as the API has them.
  if (errors.length === 0)
    for (const p of clinicalInformationProblems(sent, 'ci'))
      errors.push({ field: p.field.replace(/^ci\./, '').replace(/[[.].*$/, ''), text: p.message.replace(/^ci\./, '') });
  if (errors.length === 0 && !CLINICAL_INFORMATION_FIELDS.some((f) => sent[f] !== undefined))
    errors.push({ field: 'diagnosisCode', text: 'Enter some clinical information' });
  return sent;
}

@ApiExcludeController()
@Public()
@UseGuards(ConsoleGuard)
@UseFilters(ConsoleErrorsFilter)
@Controller('console/referrals/:id')
export class ClinicalActionsController {
  constructor(
    private readonly forms: ReferralForms,
    private readonly packages: ClinicalPackage,
    private readonly requests: InformationRequests,
    private readonly transfers: TransferOfCare,
    private readonly attachments: Attachments,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post('clinical-information')
  @ConsoleAccess('referral.clinical-information')
  clinicalInformation(@Param('id') id: string, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse) {
    return this.forms.act('clinical-information', id, req, res, async (caller, form) => {
      const errors: FieldError[] = [];
      const ci = packageFromForm(form, errors, CLINICAL_TEXT_ROLES.has(caller.role));
      if (errors.length) throw new FormErrors(errors);
      await this.packages.update(caller, id, ci);
    });
  }

  @Post('information-requests')
  @ConsoleAccess('referral.information-request')
  requestInformation(@Param('id') id: string, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse) {
    return this.forms.act('request-information', id, req, res, async (caller, form) => {
      const question = text(form, 'question');
      const errors: FieldError[] = [];
      check(errors, question.length > 0, 'question', 'Enter your question for the referrer');
      check(errors, question.length <= 4000, 'question', 'The question must be 4,000 characters or fewer');
      if (errors.length) throw new FormErrors(errors);
      await this.requests.ask(caller, id, { question });
    });
  }

  @Post('information-requests/answer')
  @ConsoleAccess('referral.information-answer')
  answerInformation(@Param('id') id: string, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse) {
    return this.forms.act('answer-information', id, req, res, async (caller, form) => {
      const answer = text(form, 'answer');
      const requestId = text(form, 'requestId');
      const errors: FieldError[] = [];
      check(errors, isUuid(requestId), 'answer', 'This request for information is no longer open: reload the page');
      check(errors, answer.length > 0, 'answer', 'Enter your answer');
      check(errors, answer.length <= 4000, 'answer', 'The answer must be 4,000 characters or fewer');
      if (errors.length) throw new FormErrors(errors);
      await this.requests.answer(caller, id, requestId, { answer });
    });
  }

  @Post('return-to-referrer')
  @ConsoleAccess('referral.return-with-advice')
  async returnToReferrer(@Param('id') id: string, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse) {
    let returned = false;
    const out = await this.forms.act('return-with-advice', id, req, res, async (caller, form) => {
      const advice = text(form, 'advice');
      const errors: FieldError[] = [];
      check(errors, advice.length > 0, 'advice', 'Enter your advice for the referrer');
      check(errors, advice.length <= 4000, 'advice', 'The advice must be 4,000 characters or fewer');
      if (errors.length) throw new FormErrors(errors);
      await this.transfers.returnWithAdvice(caller, id, { advice });
      returned = true;
    });
    // Returned, the trust is no longer a party: back to its worklist.
    if (returned) return seeOther(res, '/console/worklists/receiver-acceptance?done=returned');
    return out;
  }

  @Post('attachments')
  @ConsoleAccess('attachment.upload')
  @ConsoleUpload()
  async upload(@Param('id') id: string, @Req() req: ConsoleRequest, @Res({ passthrough: true }) res: ConsoleResponse): Promise<string> {
    if (!isUuid(id)) throw new ConsolePageError(404, 'Page not found', 'There is no referral at this address, or it is not one your trust can see.');
    const values: Form = {};
    const refuse = (field: string, message: string) => {
      throw new FormErrors([{ field, text: message }]);
    };
    return this.forms.answer('attachment', id, req, res, values, async () => {
      try {
        await receiveUpload(
          req,
          req.consoleSession!,
          'file',
          async (file) => {
            const kind = (values.kind = file.fields.kind ?? '');
            if (!(ATTACHMENT_KINDS as readonly string[]).includes(kind)) throw new UploadFormError([{ field: 'kind', text: 'Select what the document is' }]);
            return this.attachments.add(req.caller!, id, {
              kind: kind as AttachmentKind,
              filename: file.filename,
              body: file.body,
              maxBytes: this.config.workflow.attachmentMaxBytes,
            });
          },
          'Select a PDF, PNG or JPEG file to attach',
        );
      } catch (e) {
        if (dropsConnection(e)) res.header('connection', 'close'); // the rest of the file is not read
        if (e instanceof UploadFormError) throw new FormErrors(e.errors);
        if (e instanceof AttachmentTypeError) refuse('file', 'The selected file must be a PDF, PNG or JPEG');
        if (e instanceof UploadRefusedError)
          refuse('file', e.code === 'UPLOAD_TOO_LARGE' ? `The selected file must be smaller than ${mb(this.config.workflow.attachmentMaxBytes)}` : e.message);
        throw e;
      }
    });
  }

  @Get('attachments/:attachmentId')
  @ConsoleAccess('attachment.download')
  async download(
    @Param('id') id: string,
    @Param('attachmentId') attachmentId: string,
    @Req() req: ConsoleRequest,
    @Res({ passthrough: true }) res: ConsoleResponse,
  ): Promise<StreamableFile> {
    if (!isUuid(id) || !isUuid(attachmentId)) throw new ConsolePageError(404, 'Page not found', 'There is no attachment at this address.');
    try {
      const a = await this.attachments.open(req.caller!, id, attachmentId);
      res.header('x-content-type-options', 'nosniff');
      res.header('cache-control', 'no-store');
      return new StreamableFile(a.content, { type: a.mediaType, disposition: `attachment; filename="${a.filename}"` });
    } catch (e) {
      if (e instanceof Error && 'code' in e && e.code === 'NOT_FOUND')
        throw new ConsolePageError(404, 'Page not found', 'There is no attachment at this address, or it is not one you can open.');
      throw e;
    }
  }
}

const mb = (bytes: number) => `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MB`;
