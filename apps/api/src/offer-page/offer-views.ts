// The offer page's HTML, in the NHS.UK design system's markup (nhsuk-frontend's CSS, no JavaScript
// needed). Every value goes through the escaping `html` tag.
import { dayInWords, distanceInWords } from '#notifications';
import { Html, html } from './html.js';

export const SERVICE_NAME = 'Treatment at another hospital';

export interface FieldError {
  /** The id of the input the error summary links to. */
  readonly href: string;
  readonly text: string;
}

export interface OfferView {
  readonly id: string;
  readonly siteName: string;
  readonly trustName: string;
  readonly distanceMiles: number;
  readonly earliestWeek: Date;
}

const PHONE_TEAM = 'phone the hospital booking team. Their phone number is on the letter or message we sent you.';

function layout(title: string, body: Html, opts: { error?: boolean } = {}): string {
  return html`<!DOCTYPE html>
    <html lang="en-GB">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex, nofollow" />
        <title>${opts.error ? 'Error: ' : ''}${title} – ${SERVICE_NAME} – NHS</title>
        <link rel="stylesheet" href="/offer/assets/nhsuk-frontend.min.css" />
        <link rel="icon" href="/offer/assets/images/favicon.ico" sizes="48x48" />
      </head>
      <body>
        <a class="nhsuk-skip-link" href="#maincontent">Skip to main content</a>
        <header class="nhsuk-header" role="banner">
          <div class="nhsuk-header__container nhsuk-width-container">
            <div class="nhsuk-header__service">
              <a class="nhsuk-header__service-logo" href="https://www.nhs.uk" aria-label="NHS homepage">
                <svg
                  class="nhsuk-header__logo"
                  xmlns="http://www.w3.org/2000/svg"
                  viewBox="0 0 200 80"
                  height="40"
                  width="100"
                  focusable="false"
                  role="img"
                  aria-label="NHS"
                >
                  <title>NHS</title>
                  <path
                    fill="currentcolor"
                    d="M200 0v80H0V0h200Zm-27.5 5.5c-14.5 0-29 5-29 22 0 10.2 7.7 13.5 14.7 16.3l.7.3c5.4 2 10.1 3.9 10.1 8.4 0 6.5-8.5 7.5-14 7.5s-12.5-1.5-16-3.5L135 70c5.5 2 13.5 3.5 20 3.5 15.5 0 32-4.5 32-22.5 0-19.5-25.5-16.5-25.5-25.5 0-5.5 5.5-6.5 12.5-6.5a35 35 0 0 1 14.5 3l4-13.5c-4.5-2-12-3-20-3Zm-131 2h-22l-14 65H22l9-45h.5l13.5 45h21.5l14-65H64l-9 45h-.5l-13-45Zm63 0h-18l-13 65h17l6-28H117l-5.5 28H129l13.5-65H125L119.5 32h-20l5-24.5Z"
                  />
                </svg>
              </a>
              <span class="nhsuk-header__service-name">${SERVICE_NAME}</span>
            </div>
          </div>
        </header>
        <div class="nhsuk-width-container">
          <main class="nhsuk-main-wrapper" id="maincontent" role="main">
            <div class="nhsuk-grid-row">
              <div class="nhsuk-grid-column-two-thirds">${body}</div>
            </div>
          </main>
        </div>
        <footer role="contentinfo">
          <div class="nhsuk-footer">
            <div class="nhsuk-width-container">
              <p class="nhsuk-body-s">This page is for you only. Do not share the link.</p>
            </div>
          </div>
        </footer>
      </body>
    </html> `.value;
}

/** The error summary, focused on load without JavaScript (autofocus on a tabindex -1 element). */
function errorSummary(errors: readonly FieldError[]): Html | null {
  if (errors.length === 0) return null;
  return html`<div class="nhsuk-error-summary" tabindex="-1" autofocus>
    <div role="alert">
      <h2 class="nhsuk-error-summary__heading">There is a problem</h2>
      <div class="nhsuk-error-summary__body">
        <ul class="nhsuk-list nhsuk-error-summary__list">
          ${errors.map((e) => html`<li><a href="#${e.href}">${e.text}</a></li>`)}
        </ul>
      </div>
    </div>
  </div>`;
}

export function messagePage(title: string, paragraphs: readonly string[]): string {
  return layout(
    title,
    html`<h1>${title}</h1>
      ${paragraphs.map((p) => html`<p>${p}</p>`)}`,
  );
}

export const PAGES = {
  invalid: () =>
    messagePage('This link does not work', ['Check that you copied the whole link from the message we sent you.', `If it still does not work, ${PHONE_TEAM}`]),
  expired: () =>
    messagePage('This link has expired', [
      'Links to answer an offer of treatment at another hospital last for 14 days.',
      'Your place on your waiting list is not affected, and the time you have waited still counts.',
      `To answer the offer, ${PHONE_TEAM}`,
    ]),
  used: () =>
    messagePage('You have already answered', [
      'You have already given us your answer using this link, so it cannot be used again.',
      `If you want to change your answer or have a question, ${PHONE_TEAM}`,
    ]),
  superseded: () =>
    messagePage('This link has been replaced', [
      'We have sent you a newer link to answer this offer. Please use the link in the most recent message we sent you.',
      `If you cannot find it, ${PHONE_TEAM}`,
    ]),
  notOpen: () =>
    messagePage('This offer is no longer open', [
      'Your referral has moved on since we sent you this link, so there is nothing to answer here.',
      'Your place on your waiting list is not affected.',
      `If you have a question, ${PHONE_TEAM}`,
    ]),
  locked: () =>
    messagePage('You cannot use this link any more', [
      'The date of birth was entered wrongly too many times, so we have locked this link to keep your details safe.',
      'Your place on your waiting list is not affected.',
      `To answer the offer, ${PHONE_TEAM}`,
    ]),
  error: () => messagePage('Sorry, there is a problem with the service', ['Try again later.', `If you need to answer the offer today, ${PHONE_TEAM}`]),
};

export interface DobForm {
  readonly day: string;
  readonly month: string;
  readonly year: string;
}

export function dobPage(opts: {
  action: string;
  values: DobForm;
  errors: readonly FieldError[];
  message: string | null;
  fields: ReadonlySet<'day' | 'month' | 'year'>;
}): string {
  const { values, errors, message, fields } = opts;
  const item = (part: 'day' | 'month' | 'year', label: string, width: number) => {
    const bad = fields.has(part);
    return html`<div class="nhsuk-date-input__item">
      <div class="nhsuk-form-group${bad ? ' nhsuk-form-group--error' : ''}">
        <label class="nhsuk-label nhsuk-date-input__label" for="dob-${part}">${label}</label>
        <input
          class="nhsuk-input${bad ? ' nhsuk-input--error' : ''} nhsuk-input--width-${width} nhsuk-date-input__input"
          id="dob-${part}"
          name="dob-${part}"
          type="text"
          inputmode="numeric"
          autocomplete="bday-${part}"
          value="${values[part]}"
        />
      </div>
    </div>`;
  };
  const describedBy = message ? 'dob-hint dob-error' : 'dob-hint';
  return layout(
    'What is your date of birth?',
    html`${errorSummary(errors)}
      <form method="post" action="${opts.action}" novalidate>
        <div class="nhsuk-form-group${message ? ' nhsuk-form-group--error' : ''}">
          <fieldset class="nhsuk-fieldset" role="group" aria-describedby="${describedBy}">
            <legend class="nhsuk-fieldset__legend nhsuk-fieldset__legend--l">
              <h1 class="nhsuk-fieldset__heading">What is your date of birth?</h1>
            </legend>
            <div class="nhsuk-hint" id="dob-hint">
              You have been offered treatment sooner at another hospital. To keep your details safe, we need to check it is you before we show you the offer.<br />For
              example, 15 3 1984
            </div>
            ${message ? html`<span class="nhsuk-error-message" id="dob-error"><span class="nhsuk-u-visually-hidden">Error: </span>${message}</span>` : null}
            <div class="nhsuk-date-input" id="dob">${item('day', 'Day', 2)} ${item('month', 'Month', 2)} ${item('year', 'Year', 4)}</div>
          </fieldset>
        </div>
        <button class="nhsuk-button" type="submit">Continue</button>
      </form>`,
    { error: errors.length > 0 },
  );
}

export interface ChooseForm {
  readonly answer: string;
  readonly radius: string;
}

export function offersPage(opts: {
  action: string;
  csrf: string;
  originName: string;
  offers: readonly OfferView[];
  values: ChooseForm;
  errors: readonly FieldError[];
  answerError: string | null;
  radiusError: string | null;
}): string {
  const { offers, values, originName, answerError, radiusError } = opts;
  const many = offers.length > 1;
  const radio = (id: string, value: string, label: string, hint: string | null) =>
    html`<div class="nhsuk-radios__item">
      <input
        class="nhsuk-radios__input"
        id="${id}"
        name="answer"
        type="radio"
        value="${value}"
        ${values.answer === value ? html` checked` : null}${hint ? html` aria-describedby="${id}-hint"` : null}
      />
      <label class="nhsuk-label nhsuk-radios__label" for="${id}">${label}</label>
      ${hint ? html`<div class="nhsuk-hint nhsuk-radios__hint" id="${id}-hint">${hint}</div>` : null}
    </div>`;
  return layout(
    'You could be treated sooner at another hospital',
    html`${errorSummary(opts.errors)}
      <h1>You could be treated sooner at another hospital</h1>
      <p>
        ${originName} works with other hospitals in its group to treat people who have waited a long time. Your consultant has checked that moving your care is
        suitable for you.
      </p>
      <h2>${many ? 'Where you could be treated (choose one)' : 'Where you could be treated'}</h2>
      ${offers.map(
        (o) =>
          html`<div class="nhsuk-card">
            <div class="nhsuk-card__content">
              <h3 class="nhsuk-card__heading">${o.siteName}</h3>
              <dl class="nhsuk-summary-list nhsuk-u-margin-bottom-0">
                <div class="nhsuk-summary-list__row">
                  <dt class="nhsuk-summary-list__key">Hospital trust</dt>
                  <dd class="nhsuk-summary-list__value">${o.trustName}</dd>
                </div>
                <div class="nhsuk-summary-list__row">
                  <dt class="nhsuk-summary-list__key">How far</dt>
                  <dd class="nhsuk-summary-list__value">${distanceInWords(o.distanceMiles)} from your home</dd>
                </div>
                <div class="nhsuk-summary-list__row">
                  <dt class="nhsuk-summary-list__key">Roughly when</dt>
                  <dd class="nhsuk-summary-list__value">From the week of ${dayInWords(o.earliestWeek)}</dd>
                </div>
              </dl>
            </div>
          </div>`,
      )}
      <h2>What happens next</h2>
      <p>
        If you accept, we will ask the hospital you choose to take over your care. Their team will check your referral and then contact you to book your
        appointment. We will send you a message at each step.
      </p>
      <div class="nhsuk-inset-text">
        <span class="nhsuk-u-visually-hidden">Information: </span>
        <p>If you say no, you keep your place on ${originName}'s waiting list and the time you have already waited still counts. Nothing else changes.</p>
      </div>
      <form method="post" action="${opts.action}" novalidate>
        <input type="hidden" name="csrf" value="${opts.csrf}" />
        <div class="nhsuk-form-group${answerError ? ' nhsuk-form-group--error' : ''}">
          <fieldset class="nhsuk-fieldset" ${answerError ? html` aria-describedby="answer-error"` : null}>
            <legend class="nhsuk-fieldset__legend nhsuk-fieldset__legend--m">
              <h2 class="nhsuk-fieldset__heading">What would you like to do?</h2>
            </legend>
            ${answerError ? html`<span class="nhsuk-error-message" id="answer-error"><span class="nhsuk-u-visually-hidden">Error: </span>${answerError}</span>` : null}
            <div class="nhsuk-radios">
              ${offers.map((o, i) => radio(i === 0 ? 'answer' : `answer-${i + 1}`, `accept:${o.id}`, `Yes, I would like to be treated at ${o.siteName}`, `${o.trustName}, ${distanceInWords(o.distanceMiles)} from your home`))}
              <div class="nhsuk-radios__divider">or</div>
              ${radio(offers.length === 0 ? 'answer' : 'answer-decline', 'decline', 'No, I want to stay on my current waiting list', 'You keep your place and the time you have waited')}
            </div>
          </fieldset>
        </div>
        <div class="nhsuk-form-group${radiusError ? ' nhsuk-form-group--error' : ''}">
          <label class="nhsuk-label nhsuk-label--s" for="radius">How far are you willing to travel for treatment? (optional)</label>
          <div class="nhsuk-hint" id="radius-hint">In miles from your home. This helps us if we need to find you another hospital.</div>
          ${radiusError ? html`<span class="nhsuk-error-message" id="radius-error"><span class="nhsuk-u-visually-hidden">Error: </span>${radiusError}</span>` : null}
          <div class="nhsuk-input-wrapper">
            <input
              class="nhsuk-input${radiusError ? ' nhsuk-input--error' : ''} nhsuk-input--width-4"
              id="radius"
              name="radius"
              type="text"
              inputmode="numeric"
              spellcheck="false"
              value="${values.radius}"
              aria-describedby="radius-hint${radiusError ? ' radius-error' : ''}"
            />
            <div class="nhsuk-input-wrapper__suffix" aria-hidden="true">miles</div>
          </div>
        </div>
        <button class="nhsuk-button" type="submit">Send my answer</button>
      </form>`,
    { error: opts.errors.length > 0 },
  );
}

export function acceptedPage(opts: { siteName: string; trustName: string; originName: string }): string {
  return layout(
    'You have accepted the offer',
    html`<div class="nhsuk-panel">
        <h1 class="nhsuk-panel__heading">You have accepted the offer</h1>
        <div class="nhsuk-panel__body">We have asked ${opts.trustName} to take over your care at ${opts.siteName}.</div>
      </div>
      <h2>What happens next</h2>
      <p>${opts.trustName} will check your referral. When they agree, their team will contact you to book your appointment.</p>
      <p>Until then you stay on ${opts.originName}'s waiting list. The time you have already waited still counts.</p>
      <p>We will send you a message when ${opts.trustName} has agreed. If you change your mind, ${PHONE_TEAM}</p>`,
  );
}

/** The place the patient chose was taken just before they answered, and no other offer has room: a person follows up. */
export function placeTakenPage(opts: { siteName: string; originName: string }): string {
  return messagePage('That place has just been taken', [
    `The last place at ${opts.siteName} was taken by another patient just before you answered, so we could not give it to you.`,
    `Your place on ${opts.originName}'s waiting list is not affected, and the time you have already waited still counts.`,
    'The hospital booking team will contact you about what happens next. You do not need to do anything now.',
    `If you have a question, ${PHONE_TEAM}`,
  ]);
}

/** The error on the offers page when the chosen place was just taken and other offers still have room. */
export function placeTakenChooseAnother(siteName: string): string {
  return `The last place at ${siteName} has just been taken by another patient. Choose another hospital below, or stay on your current waiting list`;
}

export function declinedPage(opts: { originName: string }): string {
  return layout(
    'You have chosen to stay on your current waiting list',
    html`<div class="nhsuk-panel">
        <h1 class="nhsuk-panel__heading">You have chosen to stay on your current waiting list</h1>
        <div class="nhsuk-panel__body">Thank you for letting us know.</div>
      </div>
      <h2>What happens next</h2>
      <p>You keep your place on ${opts.originName}'s waiting list, and the time you have already waited still counts. You do not need to do anything else.</p>
      <p>If you change your mind, ${PHONE_TEAM}</p>`,
  );
}
