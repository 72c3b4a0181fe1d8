// The pure rules of sending a notification.
import { describe, expect, it } from '@jest/globals';
import { askedChannel, deliverable, phoneToo, staleBecause } from './delivery-rules.js';

describe('staleBecause', () => {
  it('an offer or its reminder is stale once the referral no longer awaits the patient', () => {
    expect(staleBecause({ event: 'offer', referral_status: 'AWAITING_PATIENT_CONSENT', booking: null })).toBeNull();
    expect(staleBecause({ event: 'offer_reminder', referral_status: 'AWAITING_PATIENT_CONSENT', booking: null })).toBeNull();
    expect(staleBecause({ event: 'offer', referral_status: 'WITHDRAWN', booking: null })).toMatch(/WITHDRAWN, no longer awaiting/);
    expect(staleBecause({ event: 'offer_reminder', referral_status: 'AWAITING_RECEIVER_ACCEPTANCE', booking: null })).toMatch(/no longer awaiting/);
  });

  it('an appointment reminder is stale once its booking is cancelled, started or gone', () => {
    expect(staleBecause({ event: 'appointment_reminder', referral_status: 'BOOKED', booking: { live: true } })).toBeNull();
    expect(staleBecause({ event: 'appointment_reminder', referral_status: 'BOOKED', booking: { live: false } })).toBe('booking cancelled or already started');
    expect(staleBecause({ event: 'appointment_reminder', referral_status: 'BOOKED', booking: null })).toBe('booking gone');
  });

  it('other messages are always still true', () => {
    for (const event of ['consent_recorded', 'transfer_confirmed', 'transfer_rejected', 'withdrawn', 'cancelled', 'discharged']) {
      expect(staleBecause({ event, referral_status: 'CANCELLED', booking: null })).toBeNull();
    }
  });
});

describe('deliverable', () => {
  it('keeps the channel while its contact detail is there', () => {
    expect(deliverable('email', { email: 'a@example.com', phone: null })).toBe('email');
    expect(deliverable('sms', { email: null, phone: '07700900123' })).toBe('sms');
    expect(deliverable('letter', { email: 'a@example.com', phone: '07700900123' })).toBe('letter');
  });

  it('falls back to the other of email and SMS, then to a letter', () => {
    expect(deliverable('email', { email: null, phone: '07700900123' })).toBe('sms');
    expect(deliverable('sms', { email: 'a@example.com', phone: null })).toBe('email');
    expect(deliverable('email', { email: null, phone: null })).toBe('letter');
    expect(deliverable('sms', { email: null, phone: null })).toBe('letter');
  });
});

describe('askedChannel', () => {
  const both = { email: 'a@example.com', phone: '07700900123' };
  it("goes by the patient's recorded contact method where there is a detail for it", () => {
    expect(askedChannel('email', 'letter', both)).toBe('letter');
    expect(askedChannel('email', 'text_message', both)).toBe('sms');
    expect(askedChannel('sms', 'email', both)).toBe('email');
    expect(askedChannel('letter', 'email', both)).toBe('email');
  });

  it('keeps the channel when the method has no detail to use, is for people (telephone, text relay) or is not recorded', () => {
    expect(askedChannel('letter', 'email', { email: null, phone: '07700900123' })).toBe('letter');
    expect(askedChannel('email', 'text_message', { email: 'a@example.com', phone: null })).toBe('email');
    expect(askedChannel('email', 'telephone', both)).toBe('email');
    expect(askedChannel('sms', 'text_relay', both)).toBe('sms');
    expect(askedChannel('sms', null, both)).toBe('sms');
  });
});

describe('phoneToo', () => {
  it('asks the booking team to phone a patient who asked for telephone or text relay, about an offer or an appointment', () => {
    for (const method of ['telephone', 'text_relay']) {
      for (const event of ['offer', 'appointment_booked', 'appointment_rescheduled', 'appointment_cancelled']) expect(phoneToo(event, method)).toBe(true);
      for (const event of ['consent_recorded', 'discharged', 'offer_reminder', 'appointment_reminder']) expect(phoneToo(event, method)).toBe(false);
    }
    for (const method of ['letter', 'email', 'text_message', null]) expect(phoneToo('offer', method)).toBe(false);
  });
});
